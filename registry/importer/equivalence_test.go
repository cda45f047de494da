package importer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
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
		importer.Pledges: "type,contract_no,pledgee,pledgors,rights,amount,registered_on,ends_on,released_on,defaulted_on,realised_on,effective_on,new_contract_no,method,proceeds," +
			"equity_holder,equity_share,licensee,licence_ends_on,appraisal_value,appraiser,appraised_on,appraisal_method\n" +
			"register,质2020-1," + bankCode + "," + ent + ",ZL201310699744.2;trademark:12345678,10000000.00,2020-06-01,2022-06-01,2021-06-01,,,,,,,,,,,12000000,某评估公司,2020-05-20,market\n" +
			"register,质2021-7," + bankCode + "," + ent + ",201310699744.2,5000000,2021-07-01,2024-07-01,,,,,,,,,,,,,,,\n" +
			"amend,质2021-7,,,,\"12,000,000.00\",,,,,,2021-08-01,质2021-7A,,,,,,,,,,\n" +
			"extend,质2021-7A,,,,,,2025-07-01,,,,2022-01-05,,,,,,,,,,,\n" +
			"register,质2022-3," + bankCode + "," + other + ",ZL201920456789.X,2000000.00,2022-01-10,2024-01-10,,2022-06-01,2023-01-05,,,sale,1000000.00,,,,,,,,\n" +
			"register,质2022-9," + bankCode + "," + ent + ",trademark:12345678,3000000.00,2022-02-01,2024-02-01,,,,,,,,,,,,,,,\n" +
			"appraise,质2021-7A,,,,,,,,,,2022-03-01,,,,,,,,15000000.00,某评估公司,2022-02-20,income\n" +
			"default,质2021-7A," + bankCode + ",,,,,,,,,2023-02-01,,,,,,,,,,,\n" +
			"default,质2022-9,,,,,,,,,,2023-03-01,,,,,,,,,,,\n" +
			"realise,质2021-7A,,,,,,,,,,2023-05-01,,auction,9000000.00,,,,,,,,\n" +
			"realise,质2022-9,,,,,,,,,,2023-06-01,,debt_to_equity,2500000.00," + bankCode + ",0.15,,,,,,\n",
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
		ContractNo: "质2020-1", RegisteredOn: d("2020-06-01"), EndsOn: d("2022-06-01"), PledgeeID: pBank, ReleasedOn: d("2021-06-01"),
		Appraisals: []registry.AppraisalInput{{Value: "12000000", Appraiser: "某评估公司", AppraisedOn: d("2020-05-20"), Method: "market"}}})
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
	p9, err := called.RegisterPledge(ctx, registry.PledgeInput{PledgorIDs: []uuid.UUID{pEnt}, AssetIDs: []uuid.UUID{tm}, Amount: "3000000.00",
		ContractNo: "质2022-9", RegisteredOn: d("2022-02-01"), EndsOn: d("2024-02-01"), PledgeeID: pBank})
	must(err)
	for _, ev := range []struct {
		id uuid.UUID
		in registry.PledgeEventInput
	}{
		{pl.ID, registry.PledgeEventInput{Type: registry.PledgeAppraise, EffectiveOn: d("2022-03-01"),
			Appraisal: &registry.AppraisalInput{Value: "15000000.00", Appraiser: "某评估公司", AppraisedOn: d("2022-02-20"), Method: "income"}}},
		{pl.ID, registry.PledgeEventInput{Type: registry.PledgeDefault, EffectiveOn: d("2023-02-01")}},
		{p9.ID, registry.PledgeEventInput{Type: registry.PledgeDefault, EffectiveOn: d("2023-03-01")}},
		{pl.ID, registry.PledgeEventInput{Type: registry.PledgeRealise, EffectiveOn: d("2023-05-01"), Method: "auction", Proceeds: "9000000.00"}},
		{p9.ID, registry.PledgeEventInput{Type: registry.PledgeRealise, EffectiveOn: d("2023-06-01"), Method: registry.RealiseDebtToEquity, Proceeds: "2500000.00",
			EquityHolderID: pBank, EquityShare: "0.15"}},
	} {
		_, err := called.PledgeEvent(ctx, office, ev.id, ev.in)
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

// The same holds whatever the rows: random asset events and pledges, many of them refused by
// the rules (a pledgor who no longer owns the right, a second lapse, an event on a pledge whose
// registration was refused …), write the same log through the importer as through the service
// calls, refused or not alike.
func TestImportEqualsServiceCallsRandomly(t *testing.T) {
	const ent, other = "91150502MA0Q1XY3RT", "12150500460123456X"
	bank := usccWithCheck(t, "91150500MA0Q2BANK")
	base := map[string]string{
		importer.Parties: "name,kind,uscc,region_code\n通辽某科技有限公司,enterprise," + ent + ",150502\n某银行通辽分行,bank," + bank +
			",150502\n通辽某研究院,institute," + other + ",150523\n张伟,individual,,150525\n",
		importer.Assets: "kind,number,title,owners,filed_on,granted_on\n" +
			"invention_patent,ZL201310699744.2,一种检测方法," + ent + ",2013-12-18,2016-05-04\n" +
			"trademark,12345678,科尔沁," + ent + ",,2016-03-07\n" +
			"utility_model,ZL201920456789.X,一种装置,张伟@150525,2019-04-11,2019-12-20\n",
	}
	numbers := []string{"ZL201310699744.2", "trademark:12345678", "ZL201920456789.X"}
	people := []string{ent, other, "张伟@150525"}
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
			day := func() term.Date { return term.New(2017, 1, 1).AddDays(rng.IntN(8 * 365)) }

			imported, ctxA := newService(t)
			called, ctx := newService(t)
			for _, s := range []*registry.Service{imported, called} {
				for _, layout := range []string{importer.Parties, importer.Assets} {
					if rep, err := importer.New(s).ImportLayout(ctxA, layout, strings.NewReader(base[layout]), importer.CSV, nil); err != nil || rep.Failed != 0 {
						t.Fatalf("%s: %v %+v", layout, err, rep.Errors)
					}
				}
			}
			partyID := func(ref string) uuid.UUID {
				if name, region, ok := strings.Cut(ref, "@"); ok {
					ps, err := called.PartiesByNameRegion(ctx, name, region)
					if err != nil || len(ps) != 1 {
						t.Fatalf("%s: %v %d", ref, err, len(ps))
					}
					return ps[0].ID
				}
				ids, err := called.PartyIDsByUSCC(ctx, []string{ref})
				if err != nil {
					t.Fatal(err)
				}
				return ids[ref]
			}
			assetID := func(num string) uuid.UUID {
				n := strings.TrimPrefix(num, "trademark:")
				as, err := called.AssetsByNumber(ctx, ident.Readings(n))
				if err != nil || len(as) != 1 {
					t.Fatalf("%s: %v %d", num, err, len(as))
				}
				return as[0].ID
			}

			// Asset events: the row, and the call it stands for.
			events := "type,number,effective_on,owners,licensee,license_type,industry,award,level,region_code,case_number\n"
			var eventCalls []func()
			for range 12 {
				num, on := pick(numbers), day()
				in := registry.EventInput{EffectiveOn: on}
				cells := map[string]string{}
				switch rng.IntN(7) {
				case 0:
					in.Type, in.LicenseType = registry.EventLicense, pick(registry.LicenseTypes)
					who := pick(people)
					in.LicenseeID, cells["licensee"], cells["license_type"] = partyID(who), who, in.LicenseType
				case 1:
					in.Type, in.Industry = registry.EventDesignate, pick([]string{"新材料产业", "生物产业"})
					cells["industry"] = in.Industry
				case 2:
					in.Type, in.Award, in.Level = registry.EventAward, pick(registry.Awards), "优秀奖"
					cells["award"], cells["level"] = in.Award, in.Level
				case 3:
					in.Type = registry.EventTransfer
					who := pick(people)
					in.OwnerIDs, cells["owners"] = []uuid.UUID{partyID(who)}, who
				case 4:
					in.Type, in.RegionCode = registry.EventSetRegion, pick([]string{"150502", "150523", "150571"})
					cells["region_code"] = in.RegionCode
				case 5:
					in.Type = pick([]string{registry.EventLapse, registry.EventRestore})
				default:
					in.Type, in.CaseNumber = pick([]string{registry.EventFreeze, registry.EventUnfreeze}), "(2021)蒙0502执保1号"
					cells["case_number"] = in.CaseNumber
				}
				events += fmt.Sprintf("%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", in.Type, num, on, cells["owners"], cells["licensee"], cells["license_type"],
					cells["industry"], cells["award"], cells["level"], cells["region_code"], cells["case_number"])
				id := assetID(num)
				eventCalls = append(eventCalls, func() { _, _ = called.AssetEvent(ctx, id, in) })
			}

			// Pledges: registrations, some already released, and events on earlier contracts.
			pledges := "type,contract_no,pledgee,pledgors,rights,amount,registered_on,ends_on,released_on,effective_on\n"
			var pledgeCalls []func()
			var contracts []string
			for i := range 10 {
				if len(contracts) == 0 || rng.IntN(2) == 0 {
					c := fmt.Sprintf("质-%d", i)
					contracts = append(contracts, c)
					reg := day()
					ends := reg.AddDays(365 + rng.IntN(700))
					in := registry.PledgeInput{PledgeeID: partyID(bank), Amount: fmt.Sprintf("%d.00", 1_000_000*(1+rng.IntN(20))),
						ContractNo: c, RegisteredOn: reg, EndsOn: ends}
					who := pick(people)
					in.PledgorIDs = []uuid.UUID{partyID(who)}
					var rights []string
					for _, n := range numbers {
						if rng.IntN(2) == 0 {
							rights = append(rights, n)
							in.AssetIDs = append(in.AssetIDs, assetID(n))
						}
					}
					released := ""
					if rng.IntN(2) == 0 {
						in.ReleasedOn = reg.AddDays(100 + rng.IntN(500))
						released = in.ReleasedOn.String()
					}
					pledges += fmt.Sprintf("register,%s,%s,%s,%s,%s,%s,%s,%s,\n", c, bank, who, strings.Join(rights, ";"), in.Amount, reg, ends, released)
					pledgeCalls = append(pledgeCalls, func() { _, _ = called.RegisterPledge(ctx, in) })
					continue
				}
				c := pick(contracts)
				in := registry.PledgeEventInput{Type: pick([]string{registry.PledgeRelease, registry.PledgeDefault, registry.PledgeExtend}), EffectiveOn: day()}
				ends := ""
				if in.Type == registry.PledgeExtend {
					in.EndsOn = in.EffectiveOn.AddDays(800)
					ends = in.EndsOn.String()
				}
				pledges += fmt.Sprintf("%s,%s,,,,,,%s,,%s\n", in.Type, c, ends, in.EffectiveOn)
				pledgeCalls = append(pledgeCalls, func() {
					ps, err := called.PledgesByContract(ctx, c, uuid.Nil)
					if err != nil {
						t.Error(err)
					}
					if len(ps) == 1 { // otherwise the import's row is pledge_unknown: nothing written either
						_, _ = called.PledgeEvent(ctx, registry.OfficeViewer(), ps[0].ID, in)
					}
				})
			}

			for _, f := range []struct{ layout, file string }{{importer.Events, events}, {importer.Pledges, pledges}} {
				if _, err := importer.New(imported).ImportLayout(ctxA, f.layout, strings.NewReader(f.file), importer.CSV, nil); err != nil {
					t.Fatal(err)
				}
			}
			for _, call := range append(eventCalls, pledgeCalls...) {
				call()
			}
			a, b := entryLog(t, imported), entryLog(t, called)
			if strings.Join(a, "\n") != strings.Join(b, "\n") {
				t.Fatalf("the logs differ\nimport:\n%s\ncalls:\n%s\nevents:\n%s\npledges:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"), events, pledges)
			}
			written := 0
			for _, line := range a {
				if strings.HasPrefix(line, "pledge.") || strings.HasPrefix(line, "asset.") && !strings.HasPrefix(line, "asset.registered") {
					written++
				}
			}
			if written == 0 {
				t.Fatalf("no row of seed %d was accepted: the comparison says nothing\nevents:\n%s\npledges:\n%s", seed, events, pledges)
			}
			t.Logf("%d event and pledge entries alike", written)
		})
	}
}
