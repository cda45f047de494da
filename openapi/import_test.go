package openapi_test

import (
	"net/http"
	"testing"

	"ipledger/registry/access"
)

// POST /v1/import takes a layout (default assets); rows name parties and rights as people
// write them, and a second send adds nothing.
func TestImportLayoutsOverHTTP(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	const owner = "914403001922038216"
	parties := "name,kind,uscc,region_code\n导入测试有限公司,enterprise," + owner + ",150502\n张伟,individual,,150523\n"
	r := e.do("POST", "/v1/import?layout=parties&format=csv", reg, parties, "Content-Type", "text/csv").status(http.StatusOK).json()
	if r["added"] != 2.0 || r["failed"] != 0.0 {
		t.Fatalf("parties: %v", r)
	}
	assets := "kind,number,title,owners,filed_on,granted_on\ntrademark,12345678,商标," + owner + ",,2015-01-02\n"
	r = e.do("POST", "/v1/import?format=csv", reg, assets, "Content-Type", "text/csv").status(http.StatusOK).json()
	if r["added"] != 1.0 {
		t.Fatalf("assets by default: %v", r)
	}
	events := "type,number,effective_on,licensee,license_type\n" +
		"license,12345678,2020-03-04,张伟@150523,ordinary\n" +
		"license,7654321,2020-03-04,张伟@150523,ordinary\n"
	r = e.do("POST", "/v1/import?layout=events&format=csv", reg, events, "Content-Type", "text/csv").status(http.StatusOK).json()
	if r["added"] != 1.0 || r["failed"] != 1.0 {
		t.Fatalf("events: %v", r)
	}
	row := r["errors"].([]any)[0].(map[string]any)
	if row["row"] != 3.0 || row["column"] != "number" || row["code"] != "asset_unknown" {
		t.Fatalf("row error %v, want row 3 number asset_unknown", row)
	}
	r = e.do("POST", "/v1/import?layout=events&format=csv", reg, events, "Content-Type", "text/csv").status(http.StatusOK).json()
	if r["added"] != 0.0 || r["unchanged"] != 1.0 || r["failed"] != 1.0 {
		t.Fatalf("events again: %v", r)
	}
	p := e.do("POST", "/v1/import?layout=claims&format=csv", reg, events, "Content-Type", "text/csv").problem(http.StatusUnprocessableEntity, "validation_failed")
	if errs := p["errors"].([]any); errs[0].(map[string]any)["location"] != "query.layout" {
		t.Fatalf("bad layout: errors %v, want the location query.layout", errs)
	}
	e.do("POST", "/v1/import?layout=pledges&format=csv", reg, "type\n", "Content-Type", "text/csv").problem(http.StatusUnprocessableEntity, "import_file_invalid")
	e.do("POST", "/v1/import?layout=parties&format=csv", e.tokens[access.Bank], parties, "Content-Type", "text/csv").problem(http.StatusForbidden, "forbidden")
}
