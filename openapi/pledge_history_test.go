package openapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"ipledger/registry/access"
)

// TestFinishedPledgesOverHTTP: POST /v1/pledges with released_on records a pledge that has
// already ended; periods [registered_on, released_on) of one right may not overlap, whatever
// the order of recording, and an overlap is 409 asset_pledged naming the other pledge.
func TestFinishedPledgesOverHTTP(t *testing.T) {
	e := newPledgeEnv(t)
	bank := e.tokens[access.Bank]
	inv := e.patent()
	finished := func(reg, rel, ends string) map[string]any {
		b := e.pledgeBody(inv)
		b["registered_on"], b["released_on"], b["ends_on"] = reg, rel, ends
		return b
	}
	later := e.do("POST", "/v1/pledges", bank, finished("2022-04-01", "2023-04-01", "2024-03-31")).status(http.StatusCreated).json()
	if later["status"] != "released" || later["ended_on"] != "2023-04-01" || later["registered_on"] != "2022-04-01" {
		t.Fatalf("a finished pledge: %v", later)
	}
	earlier := e.do("POST", "/v1/pledges", bank, finished("2021-03-01", "2022-03-01", "2022-03-01")).status(http.StatusCreated).json()
	if earlier["status"] != "released" || earlier["ended_on"] != "2022-03-01" {
		t.Fatalf("an earlier finished pledge recorded after: %v", earlier)
	}
	p := e.do("POST", "/v1/pledges", bank, finished("2023-01-01", "2023-06-01", "2024-01-01")).problem(http.StatusConflict, "asset_pledged")
	if p["ref"] != later["id"] || p["errors"].([]any)[0].(map[string]any)["location"] != "body.asset_ids[0]" {
		t.Fatalf("overlap: %v", p)
	}
	p = e.do("POST", "/v1/pledges", bank, finished("2023-01-01", "2999-01-01", "2024-01-01")).problem(http.StatusUnprocessableEntity, "date_in_future")
	if p["errors"].([]any)[0].(map[string]any)["location"] != "body.released_on" {
		t.Fatalf("release after today: %v", p)
	}
	// The right is free again from 2023-04-01: an open pledge from that day is accepted.
	b := e.pledgeBody(inv)
	b["registered_on"] = "2023-04-01"
	e.do("POST", "/v1/pledges", bank, b).status(http.StatusCreated)
}

// TestRealisedPledgesOverHTTP: POST /v1/pledges with defaulted_on, realised_on,
// realisation_method and proceeds records a pledge that ended by realisation in one write; its
// right is held over [registered_on, realised_on). Each bad date or field is a 422 naming it,
// and writes nothing.
func TestRealisedPledgesOverHTTP(t *testing.T) {
	e := newPledgeEnv(t)
	bank := e.tokens[access.Bank]
	inv := e.patent()
	realised := func(reg, def, real string) map[string]any {
		b := e.pledgeBody(inv)
		b["registered_on"], b["ends_on"], b["defaulted_on"], b["realised_on"] = reg, "2024-12-31", def, real
		b["realisation_method"], b["proceeds"] = "auction", "3200000.50"
		return b
	}
	// Realised the day of the default: the edge that is allowed.
	r := e.do("POST", "/v1/pledges", bank, realised("2021-03-01", "2022-01-10", "2022-01-10")).status(http.StatusCreated).json()
	real, _ := r["realisation"].(map[string]any)
	if r["status"] != "realised" || r["ended_on"] != "2022-01-10" || r["defaulted"] != true || r["defaulted_on"] != "2022-01-10" ||
		real["method"] != "auction" || real["proceeds"] != "3200000.50" || r["overdue"] != false {
		t.Fatalf("a realised pledge: %v", r)
	}
	if got := e.do("GET", "/v1/pledges/"+r["id"].(string), bank, nil).status(http.StatusOK).json(); got["status"] != "realised" || got["updated_seq"] != r["updated_seq"] {
		t.Fatalf("read: %v", got)
	}
	ch := e.do("GET", fmt.Sprintf("/v1/pledges/changes?after=%d", int64(r["registered_seq"].(float64))-1), bank, nil).status(http.StatusOK).json()
	var kinds []string
	for _, it := range ch["items"].([]any) {
		m := it.(map[string]any)
		kinds = append(kinds, fmt.Sprint(m["kind"], "@", m["effective_on"]))
	}
	if want := []string{"pledge.registered@2021-03-01", "pledge.defaulted@2022-01-10", "pledge.realised@2022-01-10"}; !slices.Equal(kinds, want) {
		t.Fatalf("entries %v, want %v", kinds, want)
	}

	count := func() int {
		return len(e.do("GET", "/v1/pledges?asset_id="+inv, bank, nil).status(http.StatusOK).json()["items"].([]any))
	}
	before := count()
	for _, c := range []struct {
		name        string
		change      func(map[string]any)
		code, field string
	}{
		{"realised without default", func(b map[string]any) { delete(b, "defaulted_on") }, "not_defaulted", "body.defaulted_on"},
		{"released and realised", func(b map[string]any) { b["released_on"] = "2023-02-01" }, "already_released", "body.realised_on"},
		{"realised before default", func(b map[string]any) { b["realised_on"] = "2023-01-31" }, "before_last_change", "body.realised_on"},
		{"default before registration", func(b map[string]any) { b["defaulted_on"] = "2022-12-31" }, "before_last_change", "body.defaulted_on"},
		{"realised after today", func(b map[string]any) { b["realised_on"] = "2999-01-01" }, "date_in_future", "body.realised_on"},
		{"unknown method", func(b map[string]any) { b["realisation_method"] = "foreclosure" }, "method_invalid", "body.realisation_method"},
		{"bad proceeds", func(b map[string]any) { b["proceeds"] = "12.345" }, "amount_invalid", "body.proceeds"},
		{"method without realisation", func(b map[string]any) { delete(b, "realised_on") }, "field_not_allowed", "body.realisation_method"},
	} {
		b := realised("2023-01-01", "2023-02-01", "2023-03-01")
		c.change(b)
		if p := e.do("POST", "/v1/pledges", bank, b).problem(http.StatusUnprocessableEntity, c.code); location(t, p) != c.field {
			t.Errorf("%s: %v, want the location %s", c.name, p, c.field)
		}
	}
	if count() != before {
		t.Fatal("a refused registration wrote")
	}
	// The right is free from the realisation day, not the day before.
	b := e.pledgeBody(inv)
	b["registered_on"] = "2022-01-09"
	if p := e.do("POST", "/v1/pledges", bank, b).problem(http.StatusConflict, "asset_pledged"); p["ref"] != r["id"] {
		t.Fatalf("overlap: %v", p)
	}
	b["registered_on"] = "2022-01-10"
	e.do("POST", "/v1/pledges", bank, b).status(http.StatusCreated)
}

// TestGuarantorPledgeesOverHTTP: a guarantor (担保机构) or a financial institution may be the
// pledgee; a principal of role bank may be bound to one and acts for its own party only —
// another guarantor's pledge is 404 to it, naming another pledgee 403 — and a principal bound
// to an enterprise, or an enterprise as pledgee, is refused.
func TestGuarantorPledgeesOverHTTP(t *testing.T) {
	e := newPledgeEnv(t)
	admin, reg := e.tokens[access.Admin], e.tokens[access.Registrar]
	g1 := e.party("通辽市融资担保有限公司", "guarantor", "150502")
	g2 := e.party("科尔沁区中小企业融资担保有限公司", "guarantor", "150502")
	fi := e.party("通辽市某小额贷款有限公司", "financial_institution", "150502")
	listed := e.do("GET", "/v1/parties?kind=guarantor", reg, nil).status(http.StatusOK).json()["items"].([]any)
	if len(listed) != 2 || listed[0].(map[string]any)["kind"] != "guarantor" {
		t.Fatalf("guarantors: %v", listed)
	}
	principal := func(party string) string {
		return e.do("POST", "/v1/principals", admin, map[string]any{"name": "信贷部 " + party[:8], "role": "bank", "party_id": party}).
			status(http.StatusCreated).json()["token"].(string)
	}
	t1, t2 := principal(g1), principal(g2)
	if p := e.do("POST", "/v1/principals", admin, map[string]any{"name": "x", "role": "bank", "party_id": e.owner}).
		problem(http.StatusUnprocessableEntity, "party_not_bank"); location(t, p) != "body.party_id" {
		t.Fatalf("a bank principal bound to an enterprise: %v", p)
	}

	p := e.do("POST", "/v1/pledges", t1, e.pledgeBody(e.patent())).status(http.StatusCreated).json()
	if p["pledgee"].(map[string]any)["id"] != g1 {
		t.Fatalf("the guarantor's pledge: %v", p)
	}
	id := p["id"].(string)
	e.do("GET", "/v1/pledges/"+id, t2, nil).problem(http.StatusNotFound, "pledge_not_found")
	e.do("POST", "/v1/pledges/"+id+"/events", t2, map[string]any{"type": "release"}).problem(http.StatusNotFound, "pledge_not_found")
	b := e.pledgeBody(e.patent())
	b["pledgee_id"] = g1
	e.do("POST", "/v1/pledges", t2, b).problem(http.StatusForbidden, "pledgee_not_caller")
	e.do("POST", "/v1/pledges/"+id+"/events", t1, map[string]any{"type": "release"}).status(http.StatusOK)

	b = e.pledgeBody(e.patent())
	b["pledgee_id"] = fi
	if got := e.do("POST", "/v1/pledges", reg, b).status(http.StatusCreated).json(); got["pledgee"].(map[string]any)["id"] != fi {
		t.Fatalf("a financial institution's pledge: %v", got)
	}
	b["pledgee_id"] = e.party("通辽市某贸易有限公司", "enterprise", "150502")
	if pr := e.do("POST", "/v1/pledges", reg, b).problem(http.StatusUnprocessableEntity, "pledgee_not_bank"); location(t, pr) != "body.pledgee_id" {
		t.Fatalf("an enterprise pledgee: %v", pr)
	}
}
