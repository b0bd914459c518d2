package svc

import "strings"

// provguard: kind=ai-completion tool=gemini
func Shout(s string) string {
	return strings.ToUpper(s) + "!"
}

// provguard: begin kind=robot
func Whisper(s string) string { return strings.ToLower(s) }
