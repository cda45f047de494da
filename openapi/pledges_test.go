package openapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"ipledger/ledger"
	"ipledger/registry/access"
	"ipledger/registry/registrytest"
)

// pledgeEnv is an API with an owner, a second bank with its own principal, and granted
// invention patents owned by the owner.
type pledgeEnv struct {
	*env
	owner, bank2Party, bank2Token string
	serial                        int
}

func newPledgeEnv(t *testing.T) *pledgeEnv {
	e := &pledgeEnv{env: newEnv(t)}
	e.owner = e.party("通辽市科技有限公司", "enterprise", "150502", "uscc", registrytest.USCC("91150502MA0N1P2Q3"))
	e.bank2Party = e.party("内蒙古银行通辽分行", "bank", "150502")
	_, tok, err := e.access.Create(ledger.WithActor(context.Background(), "system"), "inner mongolia bank", access.Bank, e.bank2Party)
	if err != nil {
		t.Fatal(err)
	}
	e.bank2Token = tok
	return e
}

// patent registers a granted invention patent; the first is ZL2013106997442.
func (e *pledgeEnv) patent(owners ...string) string {
	e.t.Helper()
	number, filed := "ZL2013106997442", "2013-12-18"
	if e.serial > 0 {
		number, filed = registrytest.PatentNo(2015, '1', 300000+e.serial), "2015-03-03"
	}
	e.serial++
	if len(owners) == 0 {
		owners = []string{e.owner}
	}
	return e.do("POST", "/v1/assets", e.tokens[access.Registrar], map[string]any{"kind": "invention_patent", "number": number,
		"title": "一种测试装置", "owner_ids": owners, "filed_on": filed, "granted_on": "2017-01-01"}).status(http.StatusCreated).json()["id"].(string)
}

func (e *pledgeEnv) pledgeBody(assets ...string) map[string]any {
	return map[string]any{"pledgor_ids": []string{e.owner}, "asset_ids": assets, "amount": "150000000.00",
		"contract_no": "TL-ZY-2025-0001", "registered_on": "2025-06-01", "ends_on": "2030-05-31"}
}

func TestPledgesOverHTTP(t *testing.T) {
	e := newPledgeEnv(t)
	bank, reg := e.tokens[access.Bank], e.tokens[access.Registrar]
	inv := e.patent()
	var pledgeID string

	t.Run("BankRegisters", func(t *testing.T) {
		r := e.do("POST", "/v1/pledges", bank, e.pledgeBody(inv)).status(http.StatusCreated).json()
		if r["status"] != "active" || r["amount"] != "150000000.00" || r["financing"] != "150000000.00" || r["overdue"] != false {
			t.Fatalf("created: %v", r)
		}
		if r["pledgee"].(map[string]any)["id"] != e.bankParty || r["region_code"] != "150502" {
			t.Fatalf("pledgee/region: %v", r)
		}
		pledgeID = r["id"].(string)
		g := e.do("GET", "/v1/pledges/"+pledgeID, bank, nil).status(http.StatusOK).json()
		if g["contract_no"] != "TL-ZY-2025-0001" {
			t.Fatalf("get: %v", g)
		}
		a := e.do("GET", "/v1/assets/"+inv, reg, nil).status(http.StatusOK).json()
		if a["pledged"] != true {
			t.Fatalf("asset not shown pledged: %v", a)
		}
	})
	t.Run("AlreadyPledgedIs409NamingThePledge", func(t *testing.T) {
		p := e.do("POST", "/v1/pledges", e.bank2Token, e.pledgeBody(inv)).problem(http.StatusConflict, "asset_pledged")
		if p["ref"] != pledgeID {
			t.Fatalf("ref = %v, want %s", p["ref"], pledgeID)
		}
	})
	t.Run("MoneyIsAString", func(t *testing.T) {
		other := e.patent()
		for _, amount := range []any{150000000, 1.5e8, "0.001", "0", "1e3", "1000000000000.01"} {
			b := e.pledgeBody(other)
			b["amount"] = amount
			code := "amount_invalid"
			if _, isNum := amount.(string); !isNum {
				code = "validation_failed"
			}
			e.do("POST", "/v1/pledges", bank, b).problem(http.StatusUnprocessableEntity, code)
		}
		b := e.pledgeBody(other)
		b["amount"] = "1000000000000.00"
		r := e.do("POST", "/v1/pledges", bank, b).status(http.StatusCreated).json()
		if r["amount"] != "1000000000000.00" {
			t.Fatalf("amount = %v", r["amount"])
		}
	})
	t.Run("TermPastExpiry", func(t *testing.T) {
		// The first patent expires 2033-12-17; it is pledged, so use a fresh one filed on the same day of another year.
		other := e.patent() // filed 2015-03-03: expires 2035-03-02
		b := e.pledgeBody(other)
		b["ends_on"] = "2035-03-03"
		p := e.do("POST", "/v1/pledges", bank, b).problem(http.StatusUnprocessableEntity, "term_past_expiry")
		if loc := p["errors"].([]any)[0].(map[string]any)["location"]; loc != "body.asset_ids[0]" {
			t.Fatalf("location = %v", loc)
		}
		b["ends_on"] = "2035-03-02"
		e.do("POST", "/v1/pledges", bank, b).status(http.StatusCreated)
	})
	t.Run("CoOwnerMissing", func(t *testing.T) {
		co := e.party("共有人公司", "enterprise", "150525")
		shared := e.patent(e.owner, co)
		e.do("POST", "/v1/pledges", bank, e.pledgeBody(shared)).problem(http.StatusUnprocessableEntity, "co_owner_missing")
	})
	t.Run("PledgeeRules", func(t *testing.T) {
		other := e.patent()
		e.do("POST", "/v1/pledges", reg, e.pledgeBody(other)).problem(http.StatusUnprocessableEntity, "pledgee_required")
		b := e.pledgeBody(other)
		b["pledgee_id"] = e.bank2Party
		e.do("POST", "/v1/pledges", bank, b).problem(http.StatusForbidden, "pledgee_not_caller")
		b["pledgee_id"] = e.party("小额贷款公司", "enterprise", "150502")
		e.do("POST", "/v1/pledges", reg, b).problem(http.StatusUnprocessableEntity, "pledgee_not_bank")
		b["pledgee_id"] = e.owner
		e.do("POST", "/v1/pledges", reg, b).problem(http.StatusUnprocessableEntity, "pledgee_is_pledgor")
		b["pledgee_id"] = e.bank2Party
		r := e.do("POST", "/v1/pledges", reg, b).status(http.StatusCreated).json()
		if r["pledgee"].(map[string]any)["id"] != e.bank2Party {
			t.Fatalf("pledgee = %v", r["pledgee"])
		}
	})
	t.Run("BankIsolation", func(t *testing.T) {
		e.do("GET", "/v1/pledges/"+pledgeID, e.bank2Token, nil).problem(http.StatusNotFound, "pledge_not_found")
		e.do("POST", "/v1/pledges/"+pledgeID+"/events", e.bank2Token, map[string]any{"type": "release"}).problem(http.StatusNotFound, "pledge_not_found")
		e.do("POST", "/v1/pledges/"+pledgeID+"/events", e.bank2Token, map[string]any{"type": "amend", "amount": "1.00"}).problem(http.StatusNotFound, "pledge_not_found")
		list := e.do("GET", "/v1/pledges", e.bank2Token, nil).status(http.StatusOK).json()
		for _, it := range list["items"].([]any) {
			if it.(map[string]any)["pledgee"].(map[string]any)["id"] != e.bank2Party {
				t.Fatalf("bank B lists another bank's pledge: %v", it)
			}
		}
		if items := e.do("GET", "/v1/pledges?asset_id="+inv, e.bank2Token, nil).status(http.StatusOK).json()["items"].([]any); len(items) != 0 {
			t.Fatalf("bank B sees %d pledges over A's patent", len(items))
		}
		changes := e.do("GET", "/v1/pledges/changes", e.bank2Token, nil).status(http.StatusOK)
		if strings.Contains(string(changes.Body), pledgeID) {
			t.Fatal("bank B's change feed shows bank A's pledge")
		}
		mine := e.do("GET", "/v1/pledges/changes?after=0&limit=1000", bank, nil).status(http.StatusOK).json()
		if items := mine["items"].([]any); len(items) == 0 || items[0].(map[string]any)["subject"] != "pledge/"+pledgeID {
			t.Fatalf("bank A's feed: %v", mine)
		}
		// The office sees it.
		e.do("GET", "/v1/pledges/"+pledgeID, e.tokens[access.Auditor], nil).status(http.StatusOK)
	})
	t.Run("Events", func(t *testing.T) {
		r := e.do("POST", "/v1/pledges/"+pledgeID+"/events", bank, map[string]any{"type": "amend", "effective_on": "2025-07-01", "amount": "180000000.00"}).status(http.StatusOK).json()
		if r["amount"] != "180000000.00" || r["financing"] != "180000000.00" {
			t.Fatalf("amended: %v", r)
		}
		e.do("POST", "/v1/pledges/"+pledgeID+"/events", bank, map[string]any{"type": "amend", "amount": 2e8}).problem(http.StatusUnprocessableEntity, "validation_failed")
		e.do("POST", "/v1/pledges/"+pledgeID+"/events", bank, map[string]any{"type": "realise", "method": "auction", "proceeds": "1.00"}).problem(http.StatusUnprocessableEntity, "not_defaulted")
		r = e.do("POST", "/v1/pledges/"+pledgeID+"/events", reg, map[string]any{"type": "release", "effective_on": "2025-08-01"}).status(http.StatusOK).json()
		if r["status"] != "released" || r["ended_on"] != "2025-08-01" || r["financing"] != "180000000.00" {
			t.Fatalf("released: %v", r)
		}
		e.do("POST", "/v1/pledges/"+pledgeID+"/events", bank, map[string]any{"type": "default"}).problem(http.StatusUnprocessableEntity, "already_released")
		e.do("POST", "/v1/pledges/nope/events", bank, map[string]any{"type": "default"}).problem(http.StatusNotFound, "pledge_not_found")
		list := e.do("GET", "/v1/pledges?status=released", bank, nil).status(http.StatusOK).json()
		if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != pledgeID {
			t.Fatalf("released list: %v", list)
		}
	})
	t.Run("PublicDisclosure", func(t *testing.T) {
		r := e.do("GET", "/v1/public/pledges?number=201310699744.2", "", nil).status(http.StatusOK)
		var page struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(r.Body, &page); err != nil || len(page.Items) != 1 {
			t.Fatalf("public: %s", r.Body)
		}
		it := page.Items[0]
		if it["pledge_id"] != pledgeID || it["pledgee"] != "中国银行通辽分行" || it["registered_on"] != "2025-06-01" || it["ended_on"] != "2025-08-01" {
			t.Fatalf("public item: %v", it)
		}
		for _, k := range []string{"amount", "financing", "contract_no", "starts_on", "ends_on"} {
			if _, ok := it[k]; ok {
				t.Fatalf("public item has %q", k)
			}
		}
		for _, secret := range []string{"150000000", "180000000", "TL-ZY-2025-0001", "amount", "contract"} {
			if strings.Contains(string(r.Body), secret) {
				t.Fatalf("public body carries %q: %s", secret, r.Body)
			}
		}
		byName := e.do("GET", "/v1/public/pledges?pledgor=%E7%A7%91%E6%8A%80", "", nil).status(http.StatusOK).json()
		if len(byName["items"].([]any)) == 0 {
			t.Fatal("no pledge found by pledgor name")
		}
	})
}

func TestPledgeIdempotentRetry(t *testing.T) {
	e := newPledgeEnv(t)
	bank := e.tokens[access.Bank]
	body := e.pledgeBody(e.patent())
	first := e.do("POST", "/v1/pledges", bank, body, "Idempotency-Key", "pledge-1").status(http.StatusCreated)
	seq := headSeq(t, e.env)
	again := e.do("POST", "/v1/pledges", bank, body, "Idempotency-Key", "pledge-1").status(http.StatusCreated)
	if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
	}
	if got := headSeq(t, e.env); got != seq {
		t.Fatalf("head moved %d → %d on replay", seq, got)
	}
	var n int
	if err := e.db.App.QueryRowContext(context.Background(), `SELECT count(*) FROM registry.pledges`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("pledges = %d (%v)", n, err)
	}
	body["amount"] = "1.00"
	e.do("POST", "/v1/pledges", bank, body, "Idempotency-Key", "pledge-1").problem(http.StatusUnprocessableEntity, "idempotency_key_reused")
}

// TestTwoBanksRaceForOnePatent: two banks register the same patent at once; exactly one wins
// and the other gets 409 naming the winner's pledge.
func TestTwoBanksRaceForOnePatent(t *testing.T) {
	e := newPledgeEnv(t)
	for round := 0; round < 5; round++ {
		asset := e.patent()
		var wg sync.WaitGroup
		res := make([]response, 2)
		for i, tok := range []string{e.tokens[access.Bank], e.bank2Token} {
			wg.Add(1)
			go func(i int, tok string) {
				defer wg.Done()
				res[i] = e.do("POST", "/v1/pledges", tok, e.pledgeBody(asset))
			}(i, tok)
		}
		wg.Wait()
		var won, lost int
		var winner string
		for _, r := range res {
			switch r.Code {
			case http.StatusCreated:
				won++
				winner = r.json()["id"].(string)
			case http.StatusConflict:
				lost++
			default:
				t.Fatalf("status %d: %s", r.Code, r.Body)
			}
		}
		if won != 1 || lost != 1 {
			t.Fatalf("round %d: %d won, %d lost", round, won, lost)
		}
		for _, r := range res {
			if r.Code == http.StatusConflict {
				if p := r.problem(http.StatusConflict, "asset_pledged"); p["ref"] != winner {
					t.Fatalf("ref = %v, want %s", p["ref"], winner)
				}
			}
		}
	}
}
