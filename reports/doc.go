// Package reports computes the desk's management reports from the fleet's own
// data: the dashboard (open tickets, SLA breaches, cases at the reseller,
// intake health), fleet and warranty, failure analytics (hardware faults per
// 100 devices, dead on arrival, repeat faults, components), the reseller
// scorecard (turnaround, first-time fix, monthly trend) and the reuse impact
// (money saved against buying new, CO2e avoided, repairs covered by the
// warranty).
//
// The package is pure Go on top of a handful of plain reads (models'
// Report* methods): Build loads the rows once and every figure is computed
// here, by small functions with documented rules, so the tests can check each
// figure on a seeded data set. Results are language-neutral: Tables and
// charts carry catalog keys and numbers; the web layer translates them, and
// Chart.SVG draws a chart on the server (no JavaScript), escaping all text.
package reports
