package console_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/access"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// The public rights search finds a right by its number in any spelling and by an enterprise
// owner's name, with its validity, without a login; an individual owner is never named.
func TestPublicRightsSearch(t *testing.T) {
	e := newEnv(t)
	a, owner := e.asset(access.Admin, "ZL2013106997442", "2013-12-18")
	op, _ := e.reg.GetParty(e.ctx, owner)
	person := e.party("张三丰", registry.Individual, "150502").(uuid.UUID)
	n2, f2 := patentNo(2015, 7)
	if _, err := e.reg.RegisterAsset(e.ctx, registry.AssetInput{Kind: ident.InventionPatent, Number: n2, Title: "一种个人发明",
		OwnerIDs: []uuid.UUID{person}, FiledOn: term.MustParseDate(f2), GrantedOn: term.MustParseDate(f2).AddDays(400)}); err != nil {
		t.Fatal(err)
	}
	e.pledge(a)

	pub := e.browser()
	for _, q := range []string{"ZL2013106997442", "201310699744.2", op.Name} {
		res := pub.get("/console/public/rights?q=" + url.QueryEscape(q)).status(http.StatusOK)
		res.contains("<title>公开检索", `id="rights-results"`, "ZL201310699744.2", op.Name, `status_met">有效</span>`, "发明专利").lacks("一种个人发明")
	}
	res := pub.get("/console/public/rights?q=" + url.QueryEscape(n2)).status(http.StatusOK)
	res.contains("一种个人发明", "<td>个人</td>").lacks("张三丰", person.String())
	pub.get("/console/public/rights?q=" + url.QueryEscape("张三丰")).status(http.StatusOK).contains("没有找到结果").lacks("一种个人发明")
	// The downloads are the API's export; the page is in every role's navigation.
	pub.get("/console/public/rights").contains(`href="/v1/public/rights/export?format=csv"`, `href="/v1/public/rights/export?format=xlsx"`)
	pub.get("/v1/public/rights/export?format=csv").status(http.StatusOK).contains("ZL2013106997442").lacks("张三丰")
	e.login(access.Bank).get("/console/pledges").contains(`href="/console/public/rights"`)
}
