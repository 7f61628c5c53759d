package api

import (
	"net/http"

	"mailer/internal/importing"
	"mailer/internal/listhealth"
	"mailer/internal/store"
)

// Query parameters that several routes take.
var (
	pLimit  = param{"limit", "how many items a page holds (1-1000, default 100)", "integer"}
	pCursor = param{"cursor", "the next_cursor of the previous page", "string"}
)

// table is every route of the API. The OpenAPI document is made from it
// (openapi.go), and the tests walk it (every changing route refuses a
// read token; every route is in the document).
func (h *Handler) table() []*route {
	return []*route{
		{method: http.MethodGet, pattern: "/api/v1/openapi.json", id: "openapi", summary: "This document (OpenAPI 3)",
			scope: scopePublic, status: http.StatusOK, resp: map[string]any{}, handle: h.openapi},

		{method: http.MethodGet, pattern: "/api/v1/lists", id: "listLists", summary: "The lists, with their member counts (lists ls --json)",
			scope: scopeRead, status: http.StatusOK, resp: Lists{}, handle: listLists},
		{method: http.MethodGet, pattern: "/api/v1/lists/{list}", id: "getList", summary: "A list and its health: joins and departures per day, the latest sends' rates",
			scope: scopeRead, status: http.StatusOK, resp: listhealth.Health{},
			query: []param{{"days", "how many days of joins and departures (1-366, default 90)", "integer"}}, handle: getList},

		{method: http.MethodGet, pattern: "/api/v1/lists/{list}/members", id: "listMembers", summary: "A page of members (subscribers ls --json)",
			scope: scopeRead, status: http.StatusOK, resp: Members{}, handle: listMembers,
			query: []param{{"status", "only this status", "string"}, {"q", "a piece of the address or name, any case", "string"}, pLimit, pCursor}},
		{method: http.MethodPost, pattern: "/api/v1/lists/{list}/members", id: "addMember", summary: "Add a member, active at once (subscribers add)",
			scope: scopeWrite, body: NewMember{}, status: http.StatusOK, resp: Change{}, handle: addMember},
		{method: http.MethodGet, pattern: "/api/v1/lists/{list}/members/{address}", id: "getMember", summary: "One member",
			scope: scopeRead, status: http.StatusOK, resp: store.Member{}, handle: getMember},
		{method: http.MethodPatch, pattern: "/api/v1/lists/{list}/members/{address}", id: "patchMember", summary: "Change a member's status or fill their name (subscribers add, rm, reactivate)",
			scope: scopeWrite, body: MemberPatch{}, status: http.StatusOK, resp: Change{}, handle: patchMember},
		{method: http.MethodDelete, pattern: "/api/v1/lists/{list}/members/{address}", id: "deleteMember", summary: "Unsubscribe a member, kept as unsubscribed (subscribers rm)",
			scope: scopeWrite, status: http.StatusOK, resp: Change{}, handle: deleteMember},
		{method: http.MethodPost, pattern: "/api/v1/lists/{list}/import", id: "importMembers", summary: "Import a member file, all or nothing (subscribers import)",
			scope: scopeWrite, csv: true, status: http.StatusOK, resp: importing.Report{}, handle: importMembers,
			query: []param{{"status", "import every row as this status, as --status", "string"},
				{"skip_invalid", "import the good lines when some are bad", "boolean"},
				{"dry_run", "report what would happen; change nothing", "boolean"},
				{"name", "the file's name, for the report and the audit log", "string"}}},

		{method: http.MethodGet, pattern: "/api/v1/sends", id: "listSends", summary: "Scheduled and unfinished sends (sends ls --json)",
			scope: scopeRead, status: http.StatusOK, resp: Sends{}, handle: listSends,
			query: []param{{"all", "also finished, cancelled and refused ones", "boolean"}, pLimit, pCursor}},
		{method: http.MethodPost, pattern: "/api/v1/sends", id: "createSend", summary: "Schedule an issue, at a time or now (mailer send --at)",
			scope: scopeWrite, body: NewSend{}, status: http.StatusCreated, resp: store.Schedule{}, handle: createSend},
		{method: http.MethodGet, pattern: "/api/v1/sends/{id}", id: "getSend", summary: "A send (N) or a schedule (sN)",
			scope: scopeRead, status: http.StatusOK, resp: Send{}, handle: getSend},
		{method: http.MethodPost, pattern: "/api/v1/sends/{id}/pause", id: "pauseSend", summary: "Pause a send (sends pause)",
			scope: scopeWrite, status: http.StatusOK, resp: Send{}, handle: pauseSend},
		{method: http.MethodPost, pattern: "/api/v1/sends/{id}/resume", id: "resumeSend", summary: "Resume a paused send (sends resume)",
			scope: scopeWrite, body: Resume{}, status: http.StatusOK, resp: Send{}, handle: resumeSend},
		{method: http.MethodPost, pattern: "/api/v1/sends/{id}/cancel", id: "cancelSend", summary: "Cancel a schedule, or stop a send for good (sends cancel)",
			scope: scopeWrite, status: http.StatusOK, resp: Cancelled{}, handle: cancelSend},

		{method: http.MethodGet, pattern: "/api/v1/lists/{list}/bounces", id: "listBounces", summary: "A list's bounce records (bounces ls --json)",
			scope: scopeRead, status: http.StatusOK, resp: Bounces{}, handle: listBounces, query: []param{pLimit, pCursor}},
		{method: http.MethodGet, pattern: "/api/v1/lists/{list}/complaints", id: "listComplaints", summary: "Members who reported the list's mail as spam",
			scope: scopeRead, status: http.StatusOK, resp: Members{}, handle: listComplaints, query: []param{{"q", "a piece of the address or name", "string"}, pLimit, pCursor}},
		{method: http.MethodGet, pattern: "/api/v1/audit", id: "listAudit", summary: "The membership audit log (audit --json)",
			scope: scopeRead, status: http.StatusOK, resp: Audit{}, handle: listAudit,
			query: []param{{"list", "only this list", "string"}, {"address", "only this address", "string"}, pLimit, pCursor}},
	}
}
