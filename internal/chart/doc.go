// Package chart is the drawing both `fastscaler simulate` and `fastscaler calibrate` share: a figure of a title and
// one legend in a header above panels stacked one over the other, written as PNG or SVG by the file's extension,
// and the full-height bands both shade. What goes in a panel is each command's own business.
package chart
