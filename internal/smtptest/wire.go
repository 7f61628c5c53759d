package smtptest

import (
	"bytes"
	"net"
	"sync"
	"time"
)

// wireListener hands the server connections that count the commands the
// client uses to send a message and, with a latency, deliver what the
// server writes that much later.
type wireListener struct {
	net.Listener
	s       *Server
	latency time.Duration
}

func (l *wireListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	w := &wireConn{Conn: c, s: l.s}
	if l.latency > 0 {
		w.line = newDelayLine(c, l.latency)
	}
	return w, nil
}

type wireConn struct {
	net.Conn
	s    *Server
	tail []byte // the end of the last read, for a command split across reads
	line *delayLine
}

// Read counts "BDAT" and "DATA" at the start of lines. A message line can
// start with them too; test messages do not.
func (c *wireConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		buf := append(c.tail, p[:n]...)
		c.s.Chunked.Add(int64(bytes.Count(buf, []byte("\nBDAT "))))
		c.s.DataCmds.Add(int64(bytes.Count(buf, []byte("\nDATA\r\n"))))
		c.tail = append(c.tail[:0], buf[max(0, len(buf)-6):]...)
	}
	return n, err
}

func (c *wireConn) Write(p []byte) (int, error) {
	if c.line == nil {
		return c.Conn.Write(p)
	}
	return c.line.write(p)
}

func (c *wireConn) Close() error {
	if c.line != nil {
		c.line.close()
	}
	return c.Conn.Close()
}

// delayLine writes each chunk to the connection latency after it was
// given, in order, while the writer goes on at once.
type delayLine struct {
	conn    net.Conn
	latency time.Duration
	mu      sync.Mutex
	queue   chan chunk
	done    chan struct{}
	closed  bool
}

type chunk struct {
	data []byte
	due  time.Time
}

func newDelayLine(c net.Conn, latency time.Duration) *delayLine {
	d := &delayLine{conn: c, latency: latency, queue: make(chan chunk, 4096), done: make(chan struct{})}
	go d.run()
	return d
}

func (d *delayLine) write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, net.ErrClosed
	}
	d.queue <- chunk{data: append([]byte(nil), p...), due: time.Now().Add(d.latency)}
	return len(p), nil
}

func (d *delayLine) run() {
	defer close(d.done)
	var failed error
	for c := range d.queue {
		if failed != nil {
			continue // drain, so that writers never block
		}
		time.Sleep(time.Until(c.due))
		_, failed = d.conn.Write(c.data)
	}
}

// close lets what was written go out, then stops.
func (d *delayLine) close() {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.queue)
	}
	d.mu.Unlock()
	<-d.done
}
