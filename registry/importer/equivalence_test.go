package importer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/ident"
	"ipledger/registry/importer"
	"ipledger/registry/term"
)

// Importing a file writes the same entries (kind, subject, effective date, payload) as the
// service calls the API makes for the same records, ids aside: ids are fresh in each
// database, so both logs are compared with every id replaced by the order it first appears in.
func TestImportEqualsServiceCalls(t *testing.T) {
	const (
		ent   = "91150502MA0Q1XY3RT"
		other = "12150500460123456X"
	)
	bankCode := usccWithCheck(t, "91150500MA0Q2BANK")
	files := map[string]string{
		importer.Parties: "name,kind,uscc,region_code\n" +
			"通辽某科技有限公司,enterprise," + ent + ",150502\n" +
			"某银行通辽分行,bank," + bankCode + ",150502\n" +
			"通辽某研究院,institute," + other + ",150523\n" +
			"张伟,individual,,150525\n",
		importer.Assets: "kind,number,title,owners,filed_on,granted_on\n" +
			"invention_patent,ZL201310699744.2,一种检测方法," + ent + ",2013-12-18,2016-05-04\n" +
			"trademark,12345678,科尔沁," + ent + ",,2016-03-07\n" +
			"utility_model,ZL201920456789.X,一种装置,张伟@150525,2019-04-11,2019-12-20\n",
		importer.Events: "type,kind,number,effective_on,owners,licensee,license_type,industry,country,family_number,family_date,award,level\n" +
			"designate_strategic_industry,,201310699744.2,2019-02-01,,,,新材料产业,,,,,\n" +
			"license,trademark,12345678,2020-05-06,,张伟@150525,ordinary,,,,,,\n" +
			"award,,ZL201310699744.2,2021-07-20,,,,,,,,china_patent_award,优秀奖\n" +
			"transfer,,ZL201920456789.X,2021-09-01," + other + ",,,,,,,,\n",
		importer.Pledges: "type,contract_no,pledgee,pledgors,rights,amount,registered_on,ends_on,released_on,defaulted_on,realised_on,effective_on,new_contract_no,method,proceeds\n" +
			"register,质2020-1," + bankCode + "," + ent + ",ZL201310699744.2;trademark:12345678,10000000.00,2020-06-01,2022-06-01,2021-06-01,,,,,,\n" +
			"register,质2021-7," + bankCode + "," + ent + ",201310699744.2,5000000,2021-07-01,2024-07-01,,,,,,,\n" +
			"amend,质2021-7,,,,\"12,000,000.00\",,,,,,2021-08-01,质2021-7A,,\n" +
			"extend,质2021-7A,,,,,,2025-07-01,,,,2022-01-05,,,\n" +
			"register,质2022-3," + bankCode + "," + other + ",ZL201920456789.X,2000000.00,2022-01-10,2024-01-10,,2022-06-01,2023-01-05,,,sale,1000000.00\n" +
			"default,质2021-7A," + bankCode + ",,,,,,,,,2023-02-01,,,\n" +
			"realise,质2021-7A,,,,,,,,,,2023-05-01,,auction,9000000.00\n",
	}

	imported, ctxA := newService(t)
	for _, layout := range importer.Layouts() {
		rep, err := importer.New(imported).ImportLayout(ctxA, layout, strings.NewReader(files[layout]), importer.CSV, nil)
		if err != nil || rep.Failed != 0 {
			t.Fatalf("%s: %v %+v", layout, err, rep.Errors)
		}
	}

	called, ctx := newService(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	party := func(name string, kind registry.PartyKind, uscc, region string) uuid.UUID {
		p, _, err := called.RegisterParty(ctx, registry.PartyInput{Name: name, Kind: kind, USCC: uscc, RegionCode: region})
		must(err)
		return p.ID
	}
	pEnt := party("通辽某科技有限公司", registry.Enterprise, ent, "150502")
	pBank := party("某银行通辽分行", registry.Bank, bankCode, "150502")
	pOther := party("通辽某研究院", registry.Institute, other, "150523")
	pZhang := party("张伟", registry.Individual, "", "150525")
	asset := func(in registry.AssetInput) uuid.UUID {
		a, err := called.RegisterAsset(ctx, in)
		must(err)
		return a.ID
	}
	d := term.MustParseDate
	inv := asset(registry.AssetInput{Kind: ident.InventionPatent, Number: "ZL201310699744.2", Title: "一种检测方法", OwnerIDs: []uuid.UUID{pEnt}, FiledOn: d("2013-12-18"), GrantedOn: d("2016-05-04")})
	tm := asset(registry.AssetInput{Kind: ident.Trademark, Number: "12345678", Title: "科尔沁", OwnerIDs: []uuid.UUID{pEnt}, GrantedOn: d("2016-03-07")})
	um := asset(registry.AssetInput{Kind: ident.UtilityModel, Number: "ZL201920456789.X", Title: "一种装置", OwnerIDs: []uuid.UUID{pZhang}, FiledOn: d("2019-04-11"), GrantedOn: d("2019-12-20")})
	event := func(id uuid.UUID, in registry.EventInput) {
		_, err := called.AssetEvent(ctx, id, in)
		must(err)
	}
	event(inv, registry.EventInput{Type: registry.EventDesignate, EffectiveOn: d("2019-02-01"), Industry: "新材料产业"})
	event(tm, registry.EventInput{Type: registry.EventLicense, EffectiveOn: d("2020-05-06"), LicenseeID: pZhang, LicenseType: registry.LicenseOrdinary})
	event(inv, registry.EventInput{Type: registry.EventAward, EffectiveOn: d("2021-07-20"), Award: registry.AwardChinaPatent, Level: "优秀奖"})
	event(um, registry.EventInput{Type: registry.EventTransfer, EffectiveOn: d("2021-09-01"), OwnerIDs: []uuid.UUID{pOther}})
	_, err := called.RegisterPledge(ctx, registry.PledgeInput{PledgorIDs: []uuid.UUID{pEnt}, AssetIDs: []uuid.UUID{inv, tm}, Amount: "10000000.00",
		ContractNo: "质2020-1", RegisteredOn: d("2020-06-01"), EndsOn: d("2022-06-01"), PledgeeID: pBank, ReleasedOn: d("2021-06-01")})
	must(err)
	pl, err := called.RegisterPledge(ctx, registry.PledgeInput{PledgorIDs: []uuid.UUID{pEnt}, AssetIDs: []uuid.UUID{inv}, Amount: "5000000",
		ContractNo: "质2021-7", RegisteredOn: d("2021-07-01"), EndsOn: d("2024-07-01"), PledgeeID: pBank})
	must(err)
	office := registry.OfficeViewer()
	for _, in := range []registry.PledgeEventInput{
		{Type: registry.PledgeAmend, EffectiveOn: d("2021-08-01"), Amount: "12000000.00", ContractNo: "质2021-7A"},
		{Type: registry.PledgeExtend, EffectiveOn: d("2022-01-05"), EndsOn: d("2025-07-01")},
	} {
		_, err := called.PledgeEvent(ctx, office, pl.ID, in)
		must(err)
	}
	_, err = called.RegisterPledge(ctx, registry.PledgeInput{PledgorIDs: []uuid.UUID{pOther}, AssetIDs: []uuid.UUID{um}, Amount: "2000000.00",
		ContractNo: "质2022-3", RegisteredOn: d("2022-01-10"), EndsOn: d("2024-01-10"), PledgeeID: pBank,
		DefaultedOn: d("2022-06-01"), RealisedOn: d("2023-01-05"), RealisationMethod: "sale", Proceeds: "1000000.00"})
	must(err)
	for _, in := range []registry.PledgeEventInput{
		{Type: registry.PledgeDefault, EffectiveOn: d("2023-02-01")},
		{Type: registry.PledgeRealise, EffectiveOn: d("2023-05-01"), Method: "auction", Proceeds: "9000000.00"},
	} {
		_, err := called.PledgeEvent(ctx, office, pl.ID, in)
		must(err)
	}

	a, b := entryLog(t, imported), entryLog(t, called)
	if len(a) != len(b) {
		t.Fatalf("the import wrote %d entries, the calls %d:\nimport:\n%s\ncalls:\n%s", len(a), len(b), strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("entry %d:\nimport %s\ncalls  %s", i, a[i], b[i])
		}
	}
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// entryLog is the ledger as lines "kind subject effective_on payload", each id replaced by
// the order of its first appearance.
func entryLog(t *testing.T, s *registry.Service) []string {
	t.Helper()
	es, err := ledger.List(context.Background(), s.Ledger().DB(), ledger.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	var out []string
	for _, e := range es {
		var payload any
		if err := json.Unmarshal(e.Payload, &payload); err != nil {
			t.Fatal(err)
		}
		canon, _ := json.Marshal(payload) // keys sorted
		line := fmt.Sprintf("%s %s %s %s", e.Kind, e.Subject, e.EffectiveOn.Format("2006-01-02"), canon)
		out = append(out, uuidRE.ReplaceAllStringFunc(line, func(id string) string {
			if _, ok := ids[id]; !ok {
				ids[id] = fmt.Sprintf("id%d", len(ids)+1)
			}
			return ids[id]
		}))
	}
	return out
}

func usccWithCheck(t *testing.T, first17 string) string {
	c, ok := ident.USCCCheckChar(first17)
	if !ok {
		t.Fatalf("%s is not 17 USCC characters", first17)
	}
	return first17 + string(c)
}
