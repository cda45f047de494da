package importer_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"ipledger/ledger"
	"ipledger/registry/importer"
)

const rowsParties = "name,kind,uscc,region_code\n" +
	"通辽某科技有限公司,enterprise,91150502MA0Q1XY3RT,150502\n" +
	"某银行通辽分行,bank,12150500460123456X,150502\n" +
	"张伟,individual,,150502\n" +
	"张伟,individual,,150523\n"

// Row errors name the row, the column and the code, and what a reference did not find.
func TestImportLayoutRowErrors(t *testing.T) {
	s, ctx := newService(t)
	im := importer.New(s)
	mustImport := func(layout, csv string) importer.Report {
		t.Helper()
		rep, err := im.ImportLayout(ctx, layout, strings.NewReader(csv), importer.CSV, nil)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := mustImport(importer.Parties, rowsParties); rep.Added != 4 {
		t.Fatalf("parties: %+v", rep)
	}
	// The same code with another name is not a second party.
	rep := mustImport(importer.Parties, "name,kind,uscc,region_code\n别的名字,enterprise,91150502MA0Q1XY3RT,150502\n")
	if rep.Failed != 1 || rep.Errors[0].Code != "party_exists" || rep.Errors[0].Ref == "" {
		t.Fatalf("party with another name: %+v", rep)
	}
	rep = mustImport(importer.Assets, "kind,number,title,owners,filed_on,granted_on\n"+
		"trademark,201910060,商标,91150502MA0Q1XY3RT,,2019-05-06\n"+
		"plant_variety,201910060,品种,张伟@150523,2019-01-02,2021-01-04\n")
	if rep.Added != 2 {
		t.Fatalf("assets: %+v", rep)
	}
	events := "type,number,effective_on,licensee,license_type\n" +
		"license,201910060,2020-01-02,张伟@150502,ordinary\n" + // 2: the number fits both rights
		"license,trademark:201910060,2020-01-02,张伟@150502,ordinary\n" + // 3
		"license,trademark:201910060,2020-01-02,张伟@150502,ordinary\n" + // 4: row 3 again
		"license,trademark:201910060,2020-01-02,张伟,ordinary\n" + // 5
		"license,trademark:201910060,2020-01-02,李四@150502,ordinary\n" + // 6
		"license,ZL201310699744.2,2020-01-02,张伟@150502,ordinary\n" + // 7
		"license,trademark:201910060,2020/13/02,张伟@150502,ordinary\n" // 8
	rep = mustImport(importer.Events, events)
	want := []string{"2 number asset_ambiguous", "5 licensee party_ref_format", "6 licensee party_unknown", "7 number asset_unknown", "8 effective_on date_format"}
	check := func(rep importer.Report, added, unchanged int, want []string) {
		t.Helper()
		var got []string
		for _, e := range rep.Errors {
			got = append(got, fmt.Sprintf("%d %s %s", e.Row, e.Column, e.Code))
		}
		if rep.Added != added || rep.Unchanged != unchanged || strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Fatalf("added %d unchanged %d errors %v (%+v), want %d, %d, %v", rep.Added, rep.Unchanged, got, rep.Errors, added, unchanged, want)
		}
	}
	check(rep, 1, 1, want)
	if !strings.Contains(rep.Errors[2].Message, "李四") || !strings.Contains(rep.Errors[3].Message, "ZL201310699744.2") {
		t.Fatalf("the errors do not name what is missing: %+v", rep.Errors)
	}
	// Columns in another order and another date spelling: the same rows, so unchanged.
	reordered := "license_type,licensee,effective_on,number,type\nordinary,张伟@150502,2020/01/02,trademark:201910060,license\n"
	check(mustImport(importer.Events, reordered), 0, 1, nil)

	pledges := "type,contract_no,pledgee,pledgors,rights,amount,registered_on,ends_on,effective_on,method\n" +
		"amend,质-1,,,,20000000,,,2021-01-01,\n" + // 2: not registered yet
		"register,质-1,12150500460123456X,91150502MA0Q1XY3RT,trademark:201910060,10000000,2020-06-01,2022-06-01,,\n" + // 3
		"register,质-2,12150500460123456X,91150502MA0Q1XY3RT,trademark:201910060,10000000,2020-07-01,2022-06-01,2020-07-01,\n" + // 4
		"register,质-3,12150500460123456X,91150502MA0Q1XY3RT,trademark:201910060,10000000,2020-07-01,2022-06-01,,\n" + // 5: overlaps 质-1
		"release,质-1,91150502MA0Q1XY3RT,,,,,,2021-02-01,\n" + // 6: that pledgee has no such pledge
		"realise,质-1,,,,,,,2021-03-01,auction\n" // 7: not defaulted
	check(mustImport(importer.Pledges, pledges), 1, 0, []string{"2 contract_no pledge_unknown", "4 effective_on field_not_allowed",
		"5 rights asset_pledged", "6 contract_no pledge_unknown", "7 type not_defaulted"})
}

// An XLSX file of another layout reads as its CSV twin, date cells included.
func TestImportLayoutXLSX(t *testing.T) {
	s, ctx := newService(t)
	im := importer.New(s)
	if rep, err := im.ImportLayout(ctx, importer.Parties, strings.NewReader(rowsParties), importer.CSV, nil); err != nil || rep.Added != 4 {
		t.Fatalf("%v %+v", err, rep)
	}
	if rep, err := im.ImportLayout(ctx, importer.Assets, strings.NewReader("kind,number,title,owners,granted_on\ntrademark,12345678,商标,张伟@150502,2015-05-06\n"), importer.CSV, nil); err != nil || rep.Added != 1 {
		t.Fatalf("%v %+v", err, rep)
	}
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	for i, r := range [][]any{
		{"type", "number", "effective_on", "owners"},
		{"transfer", 12345678, time.Date(2020, 5, 6, 0, 0, 0, 0, time.UTC), "91150502MA0Q1XY3RT"},
	} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	_ = f.SetCellStyle(sheet, "C2", "C2", style)
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := im.ImportLayout(ctx, importer.Events, buf, importer.XLSX, nil)
	if err != nil || rep.Added != 1 || rep.Failed != 0 {
		t.Fatalf("%v %+v", err, rep)
	}
	// The CSV spelling of the same row is the same row.
	rep, err = im.ImportLayout(ctx, importer.Events, strings.NewReader("type,number,effective_on,owners\ntransfer,12345678,2020-05-06,91150502MA0Q1XY3RT\n"), importer.CSV, nil)
	if err != nil || rep.Unchanged != 1 {
		t.Fatalf("%v %+v", err, rep)
	}
	if _, err := im.ImportLayout(ctx, "claims", strings.NewReader("x\n"), importer.CSV, nil); err == nil || !strings.Contains(err.Error(), "claims") {
		t.Fatalf("unknown layout: %v", err)
	}
}

// Two operators importing one file at the same time write each row once: the second waits
// for the first and then finds every row written.
func TestImportConcurrentSameFile(t *testing.T) {
	s, ctx := newService(t)
	im := importer.New(s)
	if rep, err := im.ImportLayout(ctx, importer.Parties, strings.NewReader(rowsParties), importer.CSV, nil); err != nil || rep.Added != 4 {
		t.Fatalf("%v %+v", err, rep)
	}
	if rep, err := im.ImportLayout(ctx, importer.Assets, strings.NewReader("kind,number,title,owners,granted_on\ntrademark,12345678,商标,张伟@150502,2015-05-06\n"), importer.CSV, nil); err != nil || rep.Added != 1 {
		t.Fatalf("%v %+v", err, rep)
	}
	events := "type,number,effective_on,licensee,license_type\n"
	for i := range 8 {
		events += fmt.Sprintf("license,12345678,2020-01-%02d,张伟@150523,ordinary\n", i+1)
	}
	reps := make([]importer.Report, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actx := ledger.WithActor(ctx, fmt.Sprintf("operator/%d", i))
			reps[i], errs[i] = importer.New(s).ImportLayout(actx, importer.Events, strings.NewReader(events), importer.CSV, nil)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if reps[0].Added+reps[1].Added != 8 || reps[0].Unchanged+reps[1].Unchanged != 8 {
		t.Fatalf("added %d+%d, unchanged %d+%d: want the 8 rows written once", reps[0].Added, reps[1].Added, reps[0].Unchanged, reps[1].Unchanged)
	}
	licences := 0
	for _, line := range entryLog(t, s) {
		if strings.HasPrefix(line, "asset.licensed ") {
			licences++
		}
	}
	if licences != 8 {
		t.Fatalf("%d licence entries, want 8", licences)
	}
}
