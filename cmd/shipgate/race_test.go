//go:build race

package main

// raceEnabled: the race detector slows the server several times over.
const raceEnabled = true
