package indicator

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"ipledger/registry"
)

// sheetRows opens an exported workbook and returns its one sheet's rows.
func sheetRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("open workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(XLSXSheet)
	if err != nil {
		t.Fatalf("rows: %v", err)
	}
	return rows
}

// tableOf splits exported rows into the caption (first cell → second) and the table below
// the header row, each row keyed by the header's column titles.
func tableOf(t *testing.T, rows [][]string) (map[string]string, []map[string]string) {
	t.Helper()
	caption := map[string]string{}
	i := 0
	for ; i < len(rows) && (len(rows[i]) == 0 || rows[i][0] != tableHeader[0]); i++ {
		if len(rows[i]) > 1 {
			caption[rows[i][0]] = rows[i][1]
		}
	}
	if i == len(rows) {
		t.Fatal("no table header")
	}
	header := rows[i]
	var table []map[string]string
	for _, r := range rows[i+1:] {
		m := map[string]string{}
		for j, h := range header {
			if j < len(r) {
				m[h] = r[j]
			}
		}
		table = append(table, m)
	}
	return caption, table
}

// englishSentence is what an untranslated note looks like.
var englishSentence = regexp.MustCompile(`[a-z]{3,} [a-z]{3,} [a-z]{3,}`)

func checkBilingual(t *testing.T, caption map[string]string, table []map[string]string) {
	t.Helper()
	if got, want := caption["地区 region"], "150500 通辽市 Tongliao"; got != want {
		t.Errorf("region = %q, want %q", got, want)
	}
	units := caption["统计单元 units summed"]
	for _, u := range []string{"科尔沁区（150502）", "科尔沁左翼中旗（150521）", "通辽经济技术开发区（150571）", "霍林郭勒市（150581）"} {
		if !strings.Contains(units, u) {
			t.Errorf("units %q lack %q", units, u)
		}
	}
	if got, want := len(table), len(definitions); got != want {
		t.Fatalf("%d indicator rows, want %d", got, want)
	}
	statuses, notes := 0, 0
	for _, r := range table {
		if s := r["status"]; s != "" {
			statuses++
			if got, want := r["状态"], map[string]string{"met": "达标", "on_track": "按期", "behind": "落后", "missed": "未达标"}[s]; got != want || want == "" {
				t.Errorf("%s: 状态 %q beside status %q, want %q", r["代码 code"], got, s, want)
			}
		} else if r["状态"] != "" {
			t.Errorf("%s: 状态 %q without a status", r["代码 code"], r["状态"])
		}
		if r["note"] != "" {
			notes++
			if zh := r["说明"]; zh == "" || englishSentence.MatchString(zh) {
				t.Errorf("%s: note %q has 说明 %q", r["代码 code"], r["note"], zh)
			}
		}
	}
	if statuses == 0 || notes == 0 {
		t.Fatalf("%d statuses and %d notes: the export shows nothing to translate", statuses, notes)
	}
}

func TestExportNamesRegionsAndGivesStatusAndNotesInChinese(t *testing.T) {
	f := newFixture(t)
	owner := f.party("150502", registry.Enterprise)
	f.asset(registry.AssetInput{Kind: "invention_patent", Number: patentNo(2015, '1', 1), Title: "一种方法",
		OwnerIDs: []uuid.UUID{owner.ID}, FiledOn: d("2015-03-03"), GrantedOn: d("2017-05-05")})

	// As of 2019 no population is recorded (per-10k notes), no pledge financing a year
	// earlier (growth note), and the +20% target waits for its baseline (target note).
	early, err := f.ind.Compute(f.ctx, registry.CityCode, d("2019-06-30"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// After the plan's end the targets are met or missed.
	late, err := f.ind.Compute(f.ctx, registry.CityCode, d("2026-01-31"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Report{early, late} {
		b, err := r.XLSX()
		if err != nil {
			t.Fatal(err)
		}
		caption, table := tableOf(t, sheetRows(t, b))
		if r.AsOf == early.AsOf {
			byCode := map[string]map[string]string{}
			for _, row := range table {
				byCode[row["代码 code"]] = row
			}
			if got, want := byCode[ValidInventionPatentsPer10k]["说明"], "未录入通辽市（150500）2019年及以前的常住人口，无法计算每万人口指标"; got != want {
				t.Errorf("per-10k 说明 = %q, want %q", got, want)
			}
			if got, want := byCode[PledgeGrowthYoY]["说明"], "2018-01-01至2018-06-30无质押融资登记：上年同期为零，增长率无法计算"; got != want {
				t.Errorf("growth 说明 = %q, want %q", got, want)
			}
			if got := byCode[ValidInventionPatents]["说明"]; got != "目标为在2020-12-31的基数上增加20.00%（期限2025-12-31），该基数录入前目标没有数值" {
				t.Errorf("target 说明 = %q", got)
			}
		}
		checkBilingual(t, caption, table)

		// The CSV carries the same table.
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.CSV(), []byte("\ufeff"))))
		cr.FieldsPerRecord = -1 // caption lines have two fields
		recs, err := cr.ReadAll()
		if err != nil {
			t.Fatalf("csv: %v", err)
		}
		caption, table = tableOf(t, recs)
		checkBilingual(t, caption, table)
	}
}

func TestExportOfAUnitNamesTheUnit(t *testing.T) {
	f := newFixture(t)
	r, err := f.ind.Compute(f.ctx, "150502", d("2024-12-31"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.XLSX()
	if err != nil {
		t.Fatal(err)
	}
	caption, _ := tableOf(t, sheetRows(t, b))
	if got, want := caption["地区 region"], "150502 科尔沁区 Horqin District"; got != want {
		t.Errorf("region = %q, want %q", got, want)
	}
	if got, ok := caption["统计单元 units summed"]; ok {
		t.Errorf("a unit lists units: %q", got)
	}
}
