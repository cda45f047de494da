package openapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"ipledger/registry/access"
)

func (e *env) party(name, kind, region string, extra ...any) string {
	e.t.Helper()
	body := map[string]any{"name": name, "kind": kind, "region_code": region}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	return e.do("POST", "/v1/parties", e.tokens[access.Registrar], body).status(http.StatusCreated).json()["id"].(string)
}

func TestPartiesOverHTTP(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	t.Run("USCCCheckCharacter", func(t *testing.T) {
		p := e.do("POST", "/v1/parties", reg, map[string]any{"name": "typo co", "kind": "enterprise", "region_code": "150502", "uscc": "91110000802100433C"}).
			problem(http.StatusUnprocessableEntity, "uscc_check")
		if loc := p["errors"].([]any)[0].(map[string]any)["location"]; loc != "body.uscc" {
			t.Fatalf("location = %v", loc)
		}
	})
	t.Run("PilotCodeNeedsConfirmation", func(t *testing.T) {
		body := map[string]any{"name": "pilot co", "kind": "enterprise", "region_code": "150502", "uscc": "91350203M0001QAY9B"}
		e.do("POST", "/v1/parties", reg, body).problem(http.StatusUnprocessableEntity, "uscc_check")
		body["uscc_confirmed"] = true
		r := e.do("POST", "/v1/parties", reg, body).status(http.StatusCreated).json()
		if ws, _ := r["warnings"].([]any); len(ws) == 0 {
			t.Fatalf("confirmed nonconforming code accepted silently: %v", r)
		}
	})
	t.Run("DuplicateNamesTheHolder", func(t *testing.T) {
		id := e.party("bank a", "bank", "150502", "uscc", "91110000802100433B")
		p := e.do("POST", "/v1/parties", reg, map[string]any{"name": "bank b", "kind": "bank", "region_code": "150521", "uscc": "91110000802100433B"}).
			problem(http.StatusConflict, "uscc_taken")
		if p["ref"] != id {
			t.Fatalf("ref = %v, want %s", p["ref"], id)
		}
	})
	t.Run("UnknownRegion", func(t *testing.T) {
		e.do("POST", "/v1/parties", reg, map[string]any{"name": "x", "kind": "enterprise", "region_code": "150500"}).problem(http.StatusUnprocessableEntity, "region_unknown")
	})
	t.Run("BadIDIs404", func(t *testing.T) {
		e.do("GET", "/v1/parties/nope", reg, nil).problem(http.StatusNotFound, "party_not_found")
		e.do("GET", "/v1/parties/0192f1c2-0000-7000-8000-000000000000", reg, nil).status(http.StatusNotFound)
	})
	t.Run("ListPaginates", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			e.party(fmt.Sprintf("paged %d", i), "university", "150523")
		}
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; pages < 10; pages++ {
			r := e.do("GET", "/v1/parties?region=150523&limit=2&cursor="+cursor, e.tokens[access.Planner], nil).status(http.StatusOK).json()
			for _, it := range r["items"].([]any) {
				seen[it.(map[string]any)["id"].(string)] = true
			}
			if r["next_cursor"] == nil {
				break
			}
			cursor = r["next_cursor"].(string)
		}
		if len(seen) != 5 {
			t.Fatalf("paged through %d parties, want 5", len(seen))
		}
	})
}

func TestAssetsOverHTTP(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	owner := e.party("通辽某新材料有限公司", "enterprise", "150581")
	var id string
	t.Run("CreateCanonicalises", func(t *testing.T) {
		r := e.do("POST", "/v1/assets", reg, map[string]any{"kind": "invention_patent", "number": "ZL 2013 1069 9744.2", "title": "一种装置",
			"owner_ids": []string{owner}, "filed_on": "2013-12-18", "granted_on": "2016-05-04"}).status(http.StatusCreated).json()
		id = r["id"].(string)
		if r["number"] != "201310699744.2" || r["display_number"] != "ZL201310699744.2" || r["region_code"] != "150581" || r["expires_on"] != "2033-12-17" {
			t.Fatalf("asset = %v", r)
		}
	})
	t.Run("DuplicateNamesTheAsset", func(t *testing.T) {
		p := e.do("POST", "/v1/assets", reg, map[string]any{"kind": "invention_patent", "number": "201310699744.2", "title": "again",
			"owner_ids": []string{owner}, "filed_on": "2013-12-18"}).problem(http.StatusConflict, "asset_exists")
		if p["ref"] != id {
			t.Fatalf("ref = %v, want %s", p["ref"], id)
		}
	})
	t.Run("BadCheckCharacter", func(t *testing.T) {
		p := e.do("POST", "/v1/assets", reg, map[string]any{"kind": "invention_patent", "number": "ZL2013106997443", "title": "t",
			"owner_ids": []string{owner}, "filed_on": "2013-12-18"}).problem(http.StatusUnprocessableEntity, "patent_check")
		if loc := p["errors"].([]any)[0].(map[string]any)["location"]; loc != "body.number" {
			t.Fatalf("location = %v", loc)
		}
	})
	t.Run("BadDate", func(t *testing.T) {
		e.do("POST", "/v1/assets", reg, map[string]any{"kind": "trademark", "number": "12345678", "title": "t",
			"owner_ids": []string{owner}, "granted_on": "2021-02-30"}).status(http.StatusUnprocessableEntity)
	})
	t.Run("UnknownOwner", func(t *testing.T) {
		e.do("POST", "/v1/assets", reg, map[string]any{"kind": "trademark", "number": "12345678", "title": "t",
			"owner_ids": []string{"0192f1c2-0000-7000-8000-000000000000"}, "granted_on": "2021-02-03"}).problem(http.StatusUnprocessableEntity, "owner_unknown")
	})
	t.Run("AsOfAnswersForTheDate", func(t *testing.T) {
		before := e.do("GET", "/v1/assets/"+id+"?as_of=2016-05-03", e.tokens[access.Planner], nil).status(http.StatusOK).json()
		after := e.do("GET", "/v1/assets/"+id+"?as_of=2033-12-18", e.tokens[access.Planner], nil).status(http.StatusOK).json()
		last := e.do("GET", "/v1/assets/"+id+"?as_of=2033-12-17", e.tokens[access.Planner], nil).status(http.StatusOK).json()
		if before["valid"] != false || after["valid"] != false || last["valid"] != true {
			t.Fatalf("valid before grant %v, on the last day %v, after expiry %v", before["valid"], last["valid"], after["valid"])
		}
	})
	t.Run("LapseThenHistory", func(t *testing.T) {
		e.do("POST", "/v1/assets/"+id+"/events", reg, map[string]any{"type": "lapse", "effective_on": "2020-01-01"}).status(http.StatusOK)
		e.do("POST", "/v1/assets/"+id+"/events", reg, map[string]any{"type": "renew", "effective_on": "2020-02-01"}).status(http.StatusUnprocessableEntity)
		h := e.do("GET", "/v1/assets/"+id+"/history", e.tokens[access.Auditor], nil).status(http.StatusOK).json()
		items := h["items"].([]any)
		if len(items) != 2 || items[1].(map[string]any)["kind"] != "asset.lapsed" {
			t.Fatalf("history = %v", items)
		}
		r := e.do("GET", "/v1/assets/"+id+"?as_of=2020-01-01", reg, nil).status(http.StatusOK).json()
		if r["valid"] != false || r["status"] != "lapsed" {
			t.Fatalf("after lapse: %v", r)
		}
	})
	t.Run("EventOnUnknownAsset", func(t *testing.T) {
		e.do("POST", "/v1/assets/0192f1c2-0000-7000-8000-000000000000/events", reg, map[string]any{"type": "lapse", "effective_on": "2020-01-01"}).status(http.StatusNotFound)
	})
	t.Run("List", func(t *testing.T) {
		r := e.do("GET", "/v1/assets?kind=invention_patent&region=150581", e.tokens[access.Bank], nil).status(http.StatusOK).json()
		if n := len(r["items"].([]any)); n != 1 {
			t.Fatalf("items = %d", n)
		}
	})
}

func TestImportOverHTTP(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	owner := e.party("导入测试有限公司", "enterprise", "150502", "uscc", "914403001922038216")
	csv := "kind,number,title,owners,filed_on,granted_on\n" +
		"invention_patent,ZL2013106997442,一种装置," + owner + ",2013-12-18,2016-05-04\n" +
		"invention_patent,ZL2013106997443,坏号码," + owner + ",2013-12-18,\n" +
		"trademark,12345678,商标," + owner + ",,2020-01-02\n"
	first := e.do("POST", "/v1/assets/import?format=csv", reg, csv, "Content-Type", "text/csv").status(http.StatusOK).json()
	if first["added"] != 2.0 || first["failed"] != 1.0 {
		t.Fatalf("first import: %v", first)
	}
	row := first["errors"].([]any)[0].(map[string]any)
	if row["row"] != 3.0 || row["code"] != "patent_check" {
		t.Fatalf("row error = %v, want row 3 patent_check", row)
	}
	second := e.do("POST", "/v1/assets/import?format=csv", reg, csv, "Content-Type", "text/csv", "Idempotency-Key", "imp-1").status(http.StatusOK).json()
	if second["added"] != 0.0 || second["unchanged"] != 2.0 {
		t.Fatalf("second import of the same file: %v", second)
	}
	e.do("POST", "/v1/assets/import?format=csv", reg, "no,header\n", "Content-Type", "text/csv").problem(http.StatusUnprocessableEntity, "import_file_invalid")
	e.do("POST", "/v1/assets/import?format=csv", e.tokens[access.Bank], csv, "Content-Type", "text/csv").problem(http.StatusForbidden, "forbidden")
}
