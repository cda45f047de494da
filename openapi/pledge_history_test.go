package openapi_test

import (
	"net/http"
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
