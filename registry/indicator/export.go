package indicator

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"regexp"
	"strings"

	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/xuri/excelize/v2"
)

// The plan's indicator table, as CSV and XLSX: one row per indicator with its Chinese and
// English names, unit, value, baseline, target, progress, and status and note in Chinese
// beside the English; the caption names the region and, for the city, the units it sums.
// Numbers are written as the exact decimal strings of the report (in XLSX as numeric cells
// whose stored text is that string), never through a float.

var tableHeader = []string{"代码 code", "指标", "Indicator", "单位 unit", "数值 value", "基数 baseline", "基数日期 baseline date",
	"目标 target", "目标期限 due", "进度 progress", "状态", "status", "说明", "note", "统计期间 span", "按权利类型 by kind of right"}

// statusZH is each status as a Chinese planning table writes it.
var statusZH = map[string]string{
	StatusMet:     "达标",
	StatusOnTrack: "按期",
	StatusBehind:  "落后",
	StatusMissed:  "未达标",
}

// kindZH names the kinds of right in the breakdown.
var kindZH = map[string]string{
	"invention_patent": "发明专利", "utility_model": "实用新型", "design_patent": "外观设计", "trademark": "商标",
	"gi_certification_mark": "地理标志证明商标", "gi_collective_mark": "地理标志集体商标", "gi_product": "地理标志保护产品",
	"software_copyright": "计算机软件著作权", "work_copyright": "作品著作权", "plant_variety": "植物新品种权",
}

// regionName is a region's reference-data names.
type regionName struct{ zh, en string }

// regionNames reads the names of codes from the reference data, for the exports.
func regionNames(ctx context.Context, q querier, codes []string) (map[string]regionName, error) {
	rows, err := q.QueryContext(ctx, `SELECT code, name_zh, name_en FROM registry.regions WHERE code = ANY(?::text[])`, pgdialect.Array(codes))
	if err != nil {
		return nil, fmt.Errorf("indicator: region names: %w", err)
	}
	defer rows.Close()
	out := map[string]regionName{}
	for rows.Next() {
		var c string
		var n regionName
		if err := rows.Scan(&c, &n.zh, &n.en); err != nil {
			return nil, err
		}
		out[c] = n
	}
	return out, rows.Err()
}

// label is "150502 科尔沁区 Horqin District", or the bare code when no name is known.
func (r Report) label(code string) string {
	if n, ok := r.names[code]; ok {
		return code + " " + n.zh + " " + n.en
	}
	return code
}

// labelZH is "科尔沁区（150502）", or the bare code when no name is known.
func (r Report) labelZH(code string) string {
	if n, ok := r.names[code]; ok {
		return n.zh + "（" + code + "）"
	}
	return code
}

// notesZH translates the notes compute writes, part by part ("; " joins them). A part no
// pattern knows is kept in English, so the Chinese column never loses what the English says.
var notesZH = []struct {
	re *regexp.Regexp
	zh func(r Report, m []string) string
}{
	{regexp.MustCompile(`^no resident population recorded for (\S+) in (\d+) or earlier$`),
		func(r Report, m []string) string {
			return fmt.Sprintf("未录入%s%s年及以前的常住人口，无法计算每万人口指标", r.labelZH(m[1]), m[2])
		}},
	{regexp.MustCompile(`^no pledge financing registered from (\S+) to (\S+): growth over a zero base is undefined$`),
		func(_ Report, m []string) string {
			return fmt.Sprintf("%s至%s无质押融资登记：上年同期为零，增长率无法计算", m[1], m[2])
		}},
	{regexp.MustCompile(`^the target was due (\S+): judged on the value then, (\S+)$`),
		func(_ Report, m []string) string {
			return fmt.Sprintf("目标期限为%s，按当日数值%s评定", m[1], m[2])
		}},
	{regexp.MustCompile(`^the target was due (\S+), when the value could not be computed$`),
		func(_ Report, m []string) string {
			return fmt.Sprintf("目标期限为%s，当日数值无法计算", m[1])
		}},
	{regexp.MustCompile(`^the load looks incomplete: the value computed on (\S+), (\S+), is under 90% of the official (\S+)$`),
		func(_ Report, m []string) string {
			return fmt.Sprintf("数据录入似不完整：%s的计算值%s不足官方数值%s的90%%", m[1], m[2], m[3])
		}},
	{regexp.MustCompile(`^the official value is zero: no ratio$`),
		func(_ Report, _ []string) string { return "官方数值为零，无法计算比率" }},
	{regexp.MustCompile(`^the target \+(\S+) over the baseline of (\S+), due (\S+), has no value until that baseline is recorded$`),
		func(_ Report, m []string) string {
			return fmt.Sprintf("目标为在%s的基数上增加%s（期限%s），该基数录入前目标没有数值", m[2], m[1], m[3])
		}},
}

func (r Report) noteZH(note string) string {
	if note == "" {
		return ""
	}
	parts := strings.Split(note, "; ")
	for i, p := range parts {
		for _, n := range notesZH {
			if m := n.re.FindStringSubmatch(p); m != nil {
				parts[i] = n.zh(r, m)
				break
			}
		}
	}
	return strings.Join(parts, "；")
}

func (r Report) rows() [][]string {
	out := make([][]string, 0, len(r.Indicators))
	for _, v := range r.Indicators {
		zh := statusZH[v.Status]
		if zh == "" {
			zh = v.Status
		}
		row := []string{v.Code, v.NameZH, v.NameEN, v.Unit, deref(v.Value), "", "", "", "", deref(v.Progress),
			zh, v.Status, r.noteZH(v.Note), v.Note, "", breakdownText(v.Breakdown)}
		if v.Span != nil {
			row[14] = v.Span.Label + " (" + v.Span.From.String() + "–" + v.Span.To.String() + ")"
		}
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
	out := [][]string{{"地区 region", r.label(r.Region)}}
	if len(r.units) > 1 || len(r.units) == 1 && r.units[0] != r.Region {
		us := make([]string, len(r.units))
		for i, u := range r.units {
			us[i] = r.labelZH(u)
		}
		out = append(out, []string{"统计单元 units summed", strings.Join(us, "、")})
	}
	return append(out,
		[]string{"截至 as of", r.AsOf.String()},
		[]string{"数据截至 known at", fmt.Sprintf("%s (ledger seq %d)", known, r.KnownSeq)},
		[]string{"常住人口 residents (year)", pop},
	)
}

// breakdownText writes a breakdown as "发明专利 invention_patent 3333333.34; …".
func breakdownText(b []KindAmount) string {
	parts := make([]string, len(b))
	for i, k := range b {
		parts[i] = strings.TrimSpace(kindZH[k.Kind]+" "+k.Kind) + " " + k.Value
	}
	return strings.Join(parts, "; ")
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

// XLSXSheet is the name of the workbook's one sheet.
const XLSXSheet = "指标 indicators"

// XLSX writes the table as an Excel workbook with one sheet.
func (r Report) XLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = XLSXSheet
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
	for i, w := range []float64{34, 30, 44, 10, 18, 14, 14, 18, 14, 12, 8, 10, 60, 60, 30, 60} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		_ = f.SetColWidth(sheet, col, col, w)
	}
	if err := r.reconSheet(f, bold, styles); err != nil {
		return nil, err
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// XLSXReconSheet is the name of the reconciliation sheet, present when official values are
// recorded for the region for a year ended by the as-of date.
const XLSXReconSheet = "对账 reconciliation"

var reconHeader = []string{"年份 year", "代码 code", "指标", "Indicator", "单位 unit", "计算值 computed", "官方数值 official",
	"差额 difference", "比率 ratio", "来源 source", "说明", "note"}

// reconSheet writes the reconciliation of every year in the report (RulesReconciliation).
func (r Report) reconSheet(f *excelize.File, bold int, styles map[string]int) error {
	if len(r.recon) == 0 {
		return nil
	}
	const sheet = XLSXReconSheet
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	set := func(col, line int, s string, numeric bool, style int) error {
		cell, _ := excelize.CoordinatesToCellName(col, line)
		if !numeric || s == "" {
			if err := f.SetCellStr(sheet, cell, s); err != nil {
				return err
			}
		} else if err := f.SetCellDefault(sheet, cell, s); err != nil {
			return err
		}
		if style > 0 {
			return f.SetCellStyle(sheet, cell, cell, style)
		}
		return nil
	}
	line := 1
	if err := set(1, line, "地区 region", false, 0); err != nil {
		return err
	}
	if err := set(2, line, r.label(r.Region), false, 0); err != nil {
		return err
	}
	line += 2
	for i, h := range reconHeader {
		if err := set(i+1, line, h, false, bold); err != nil {
			return err
		}
	}
	for _, y := range r.recon {
		for _, it := range y.items {
			line++
			cells := []struct {
				s       string
				numeric bool
				style   int
			}{
				{fmt.Sprint(y.year), false, 0}, {it.Code, false, 0}, {it.NameZH, false, 0}, {it.NameEN, false, 0}, {it.Unit, false, 0},
				{deref(it.Computed), true, styles[it.Unit]}, {it.Official, true, styles[it.Unit]},
				{deref(it.Difference), true, styles[it.Unit]}, {deref(it.Ratio), true, styles["ratio"]},
				{it.Source, false, 0}, {r.noteZH(it.Note), false, 0}, {it.Note, false, 0},
			}
			for j, c := range cells {
				if err := set(j+1, line, c.s, c.numeric, c.style); err != nil {
					return err
				}
			}
		}
	}
	for i, w := range []float64{10, 34, 30, 44, 10, 18, 18, 18, 12, 40, 40, 40} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		_ = f.SetColWidth(sheet, col, col, w)
	}
	return nil
}
