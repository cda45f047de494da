package openapi

import (
	"testing"

	"ipledger/registry"
)

// The domain names a path into its input; the answer places it in the request.
func TestLocation(t *testing.T) {
	for field, want := range map[string]string{
		"number":              "body.number",
		"owner_ids[1]":        "body.owner_ids[1]",
		"attributes.ipc[0]":   "body.attributes.ipc[0]",
		"appraisals[0].value": "body.appraisals[0].value",
		"query.status":        "query.status",
		"path.id":             "path.id",
		"header.If-Match":     "header.If-Match",
		"queryx":              "body.queryx",
	} {
		if got := location(field); got != want {
			t.Errorf("location(%q) = %q, want %q", field, got, want)
		}
	}
	w := warningView(registry.Warning{Code: "pledgor_credit_listed", Field: "pledgor_ids[0]"})
	if w.Field != "body.pledgor_ids[0]" {
		t.Errorf("warning field = %q", w.Field)
	}
	if w := warningView(registry.Warning{Code: "uscc_nonconforming"}); w.Field != "" {
		t.Errorf("a warning without a field got %q", w.Field)
	}
}
