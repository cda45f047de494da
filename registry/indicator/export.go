package indicator

import (
	"bytes"
	"encoding/csv"
	"fmt"

	"github.com/xuri/excelize/v2"
)

// The plan's indicator table, as CSV and XLSX: one row per indicator with its Chinese and
// English names, unit, value, baseline, target, progress and status. Numbers are written as
// the exact decimal strings of the report (in XLSX as numeric cells whose stored text is that
// string), never through a float.

var tableHeader = []string{"代码 code", "指标", "Indicator", "单位 unit", "数值 value", "基数 baseline", "基数日期 baseline date",
	"目标 target", "目标期限 due", "进度 progress", "状态 status", "说明 note"}

func (r Report) rows() [][]string {
	out := make([][]string, 0, len(r.Indicators))
	for _, v := range r.Indicators {
		row := []string{v.Code, v.NameZH, v.NameEN, v.Unit, deref(v.Value), "", "", "", "", deref(v.Progress), v.Status, v.Note}
		if v.Baseline != nil {
			row[5], row[6] = v.Baseline.Value, v.Baseline.On.String()
		}
		if v.Target != nil {
			row[7], row[8] = v.Target.Value, v.Target.Due.String()
		}
		out = append(out, row)
	}
	return out
}

func (r Report) caption() [][]string {
	known := "now"
	if r.KnownAt != nil {
		known = r.KnownAt.Format("2006-01-02T15:04:05Z07:00")
	}
	pop := "none recorded"
	if r.Population != nil {
		pop = fmt.Sprintf("%d (%d)", r.Population.Residents, r.Population.Year)
	}
	return [][]string{
		{"地区 region", r.Region},
		{"截至 as of", r.AsOf.String()},
		{"数据截至 known at", fmt.Sprintf("%s (ledger seq %d)", known, r.KnownSeq)},
		{"常住人口 residents (year)", pop},
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CSV writes the table as UTF-8 CSV with a byte-order mark (so spreadsheet programs read the
// Chinese names), the caption lines first.
func (r Report) CSV() []byte {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	for _, c := range r.caption() {
		_ = w.Write(c)
	}
	_ = w.Write(nil)
	_ = w.Write(tableHeader)
	for _, row := range r.rows() {
		_ = w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

// numeric columns of the table (value, baseline, target, progress).
var numericCols = map[int]bool{4: true, 5: true, 7: true, 9: true}

// XLSX writes the table as an Excel workbook with one sheet.
func (r Report) XLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "指标 indicators"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	formats := map[string]string{UnitCount: "0", UnitPer10k: "0.0000", UnitCNY: "#,##0.00", UnitPercent: "0.00", "ratio": "0.0000"}
	styles := map[string]int{}
	for u, nf := range formats {
		nf := nf
		if styles[u], err = f.NewStyle(&excelize.Style{CustomNumFmt: &nf}); err != nil {
			return nil, err
		}
	}
	line := 1
	for _, c := range r.caption() {
		for i, s := range c {
			cell, _ := excelize.CoordinatesToCellName(i+1, line)
			if err := f.SetCellStr(sheet, cell, s); err != nil {
				return nil, err
			}
		}
		line++
	}
	line++
	for i, h := range tableHeader {
		cell, _ := excelize.CoordinatesToCellName(i+1, line)
		if err := f.SetCellStr(sheet, cell, h); err != nil {
			return nil, err
		}
		if err := f.SetCellStyle(sheet, cell, cell, bold); err != nil {
			return nil, err
		}
	}
	for i, row := range r.rows() {
		line++
		unit := r.Indicators[i].Unit
		for j, s := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, line)
			if numericCols[j] && s != "" {
				// The exact decimal text as the cell's stored number.
				if err := f.SetCellDefault(sheet, cell, s); err != nil {
					return nil, err
				}
				st := styles[unit]
				if j == 9 {
					st = styles["ratio"]
				}
				if err := f.SetCellStyle(sheet, cell, cell, st); err != nil {
					return nil, err
				}
				continue
			}
			if err := f.SetCellStr(sheet, cell, s); err != nil {
				return nil, err
			}
		}
	}
	for i, w := range []float64{34, 30, 44, 10, 18, 14, 14, 18, 14, 12, 10, 60} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		_ = f.SetColWidth(sheet, col, col, w)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
