// Package report renders audit reports (HTML, Markdown, JSON) over run
// records and builds signed evidence packs.
package report
