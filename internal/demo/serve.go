package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// serveUntil prints the sandbox's and the server's URLs and waits for
// Ctrl-C. The sandbox's credentials, made for this run, go to a file only
// its user can read, not to the terminal.
func (d *demo) serveUntil(ctx context.Context, dir string) error {
	creds := filepath.Join(dir, "credentials.env")
	err := os.WriteFile(creds, []byte(fmt.Sprintf("SHIPGATE_GITHUB_TOKEN=%s\nSHIPGATE_GITHUB_WEBHOOK_SECRET=%s\nSHIPGATE_SLACK_BOT_TOKEN=%s\nSHIPGATE_SLACK_SIGNING_SECRET=%s\n",
		d.sec.githubToken, d.sec.webhookSecret, d.sec.slackToken, d.sec.signingSecret)), 0o600)
	if err != nil {
		return err
	}
	d.out.say("")
	d.out.say("The sandbox and the server keep running until Ctrl-C:")
	d.out.say("  server           http://%s (webhooks: /webhooks/github, Slack: /slack/interactions, /metrics)", d.addr)
	d.out.say("  sandbox GitHub   %s", d.sb.GitHub.URL())
	d.out.say("  sandbox Slack    %s", d.sb.Slack.URL())
	d.out.say("  health endpoint  %s", d.sb.HealthURL())
	d.out.say("  credentials      %s (the tokens and secrets of this run; removed at exit)", creds)
	<-ctx.Done()
	return nil
}

// lockedWriter collects the server's log for when the demo fails.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
