package inbound

import (
	"net/mail"
	"strings"
)

// RecipientFromHeaders finds one of our addresses (at host) in the
// delivery headers, for an MTA pipe that did not say whom it delivered to:
// Delivered-To and X-Original-To (Postfix, Exim) first, then To and Cc.
func RecipientFromHeaders(raw []byte, host string) string {
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return ""
	}
	for _, h := range []string{"Delivered-To", "X-Original-To", "To", "Cc"} {
		for _, v := range m.Header[h] {
			list, err := mail.ParseAddressList(v)
			if err != nil {
				continue
			}
			for _, a := range list {
				if strings.HasSuffix(strings.ToLower(a.Address), "@"+strings.ToLower(host)) {
					return a.Address
				}
			}
		}
	}
	return ""
}
