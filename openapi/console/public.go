package console

import (
	"net/http"
	"strings"

	"ipledger/registry"
)

// The one-stop public search of rights (公开检索): the open data of GET /v1/public/rights
// without a login, like the pledge disclosure. An individual owner is never named, and the
// download links are the API's export itself.

type publicRightsData struct {
	Q      string
	Rights []registry.OpenRight
	More   bool
}

func (c *Console) publicRights(w http.ResponseWriter, r *http.Request) {
	r, q := c.publicQuery(w, r)
	d := publicRightsData{Q: q}
	if d.Q != "" {
		rs, next, err := c.Registry.OpenRights(r.Context(), d.Q, "", searchLimit)
		if err != nil {
			c.notFoundOr(w, r, err)
			return
		}
		d.Rights, d.More = rs, next != ""
	}
	c.render(w, r, http.StatusOK, "public_rights", "title_public_rights", d)
}

// publicQuery serves the public pages: a signed-in visitor's principal (for the navigation
// only) and the search text, at most 200 characters as the API takes.
func (c *Console) publicQuery(w http.ResponseWriter, r *http.Request) (*http.Request, string) {
	if p, ok, err := c.session(w, r); err == nil && ok {
		r = r.WithContext(contextWithPrincipal(r.Context(), p))
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if rs := []rune(q); len(rs) > 200 {
		q = string(rs[:200])
	}
	return r, q
}

func init() {
	for k, v := range map[string][2]string{
		"title_public_rights": {"公开检索", "Public rights search"},
		"pr_intro":            {"按权利号（任意写法）、名称或权利人（企业名称、统一社会信用代码）查询知识产权及其有效状态。不公开个人权利人的信息。", "Search rights by number (any spelling), title or owner (an organisation's name or unified social credit code), with their validity today. Individual owners are never named."},
		"pr_q":                {"权利号、名称或权利人", "Number, title or owner"},
		"pr_download":         {"下载全部公开数据", "Download all open data"},
		"pr_number":           {"权利号", "Number"},
		"pr_kind":             {"类型", "Kind"},
		"pr_title":            {"名称", "Title"},
		"pr_owners":           {"权利人", "Owners"},
		"pr_individual":       {"个人", "individual"},
		"pr_valid":            {"有效性", "Validity"},
		"pr_valid_yes":        {"有效", "valid"},
		"pr_valid_no":         {"无效", "not valid"},
		"pr_expires_on":       {"届满日", "Expires on"},
		"pr_pledged":          {"质押中", "Pledged"},
		"pr_as_of":            {"截至", "as of"},
	} {
		catalog[k] = v
	}
}
