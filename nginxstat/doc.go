// Package nginxstat reads nginx stub_status pages and turns their counters into per-target rates.
//
// Parse is pure: it reads one stub_status body. Fetch does the I/O for one target through a size limit.
// Poller fetches every router task concurrently, and Tracker turns consecutive samples into rates, treating a
// counter that goes down as an nginx restart and a failed or stale target as missing — never as zero load.
package nginxstat
