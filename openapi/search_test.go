package openapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ipledger/registry/access"
)

// listIDs GETs a list and returns the ids of its items.
func (e *env) listIDs(path, token string) []string {
	e.t.Helper()
	var ids []string
	for _, it := range e.do("GET", path, token, nil).status(http.StatusOK).json()["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	return ids
}

func TestAssetSearchFindsARightAsWrittenOnPaper(t *testing.T) {
	e := newEnv(t)
	reg := e.tokens[access.Registrar]
	owner := e.party("通辽某科技有限公司", "enterprise", "150502")
	id := e.do("POST", "/v1/assets", reg, map[string]any{"kind": "invention_patent", "number": "CN201910345678.6", "title": "一种装置",
		"owner_ids": []string{owner}, "filed_on": "2019-05-06", "granted_on": "2021-08-10"}).status(http.StatusCreated).json()["id"].(string)
	e.do("POST", "/v1/assets", reg, map[string]any{"kind": "invention_patent", "number": "ZL201310699744.2", "title": "一种检测方法",
		"owner_ids": []string{owner}, "filed_on": "2013-12-18", "granted_on": "2016-05-04"}).status(http.StatusCreated)

	for _, q := range []string{"ZL201910345678.6", "201910345678.6", "CN201910345678.6", "ZL 2019 1034 5678.6",
		"zl2019103456786", "ＺＬ２０１９１０３４５６７８．６", "cn 2019 1034 5678 6"} {
		got := e.listIDs("/v1/assets?q="+url.QueryEscape(q), e.tokens[access.Planner])
		if len(got) != 1 || got[0] != id {
			t.Errorf("q=%q found %v, want only %s", q, got, id)
		}
	}
	// A check character that does not fit is no right at all: an empty list, not an error.
	for _, q := range []string{"201910345678.7", "ZL2019103456787", "CN201910345678.X"} {
		if got := e.listIDs("/v1/assets?q="+url.QueryEscape(q), e.tokens[access.Planner]); len(got) != 0 {
			t.Errorf("q=%q found %v, want nothing", q, got)
		}
	}
}

func TestPartySearchFindsAUSCCAsTyped(t *testing.T) {
	e := newEnv(t)
	code := "91110000802100433B"
	id := e.party("科尔沁某测试银行", "bank", "150502", "uscc", code)
	e.party("另一家企业", "enterprise", "150502")
	fw := strings.Map(func(r rune) rune {
		if r > 0x20 && r < 0x7f {
			return r + 0xFF01 - 0x21
		}
		return r
	}, code)
	for _, q := range []string{code, strings.ToLower(code), fw, "9111 0000 8021 0043 3b", "某测试银行"} {
		got := e.listIDs("/v1/parties?q="+url.QueryEscape(q), e.tokens[access.Planner])
		if len(got) != 1 || got[0] != id {
			t.Errorf("q=%q found %v, want only %s", q, got, id)
		}
	}
}
