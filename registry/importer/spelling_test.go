package importer_test

import (
	"strings"
	"testing"

	"ipledger/registry"
	"ipledger/registry/importer"
)

func TestImportAcceptsEverySpellingOfAPatentNumber(t *testing.T) {
	s, ctx := setup(t)
	const owner = "91150502MA0Q1XY3RT"
	csv := strings.Join([]string{
		"kind,number,title,owners,region_code,filed_on,granted_on,ipc,category",
		"invention_patent,CN201910345678.6,国际引用写法," + owner + ",,2019-05-06,2021-08-10,,",
		"invention_patent,ＺＬ２０２０１０１２３４５６．２,全角写法," + owner + ",,2020-03-02,2022-01-10,,",
		"invention_patent,cn 2019 1034 5678 6,国际引用写法," + owner + ",,2019-05-06,2021-08-10,,",
	}, "\n") + "\n"
	rep, err := importer.New(s).Import(ctx, strings.NewReader(csv), "csv", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The third row is the first right written another way: unchanged, not a second right.
	if rep.Rows != 3 || rep.Added != 2 || rep.Unchanged != 1 || rep.Failed != 0 {
		t.Fatalf("rows %d added %d unchanged %d failed %d, errors %+v", rep.Rows, rep.Added, rep.Unchanged, rep.Failed, rep.Errors)
	}
	got := map[string]bool{}
	all, _, err := s.ListAssets(ctx, registry.AssetFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		got[a.Number] = true
	}
	if len(got) != 2 || !got["201910345678.6"] || !got["202010123456.2"] {
		t.Fatalf("stored numbers %v, want 201910345678.6 and 202010123456.2", got)
	}
}
