// Package slack is Shipgate's Slack integration: the deployment messages
// (one per deployed version, edited in place, details in its thread, with
// the approval buttons of a waiting gate), the POST /slack/interactions
// endpoint that turns button clicks and the rejection modal into deployment
// decisions, and Slack user-group membership for `slack:S…` approvers.
//
// It implements deploy.Notifier, deploy.SlackGroups and bot.Receiver. It
// must not import bot/github, bot/gitlab or actions; it reaches the
// orchestrator only through the Decider interface declared here.
package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"
	sl "github.com/slack-go/slack"

	"github.com/shipgate/shipgate/bot"
	"github.com/shipgate/shipgate/bot/deploy"
	"github.com/shipgate/shipgate/bot/store"
)

// Route is the interactivity request URL's path.
const Route = "/slack/interactions"

// DefaultAPIURL is Slack's Web API.
const DefaultAPIURL = "https://slack.com/api/"

// Store keeps the messages and records interaction requests.
// *store.Store implements it.
type Store interface {
	bot.Acceptor
	// ForgetDelivery un-records a request whose work failed, so that its
	// retry is not refused as a replay.
	ForgetDelivery(ctx context.Context, host, id string) error
	GetSlackMessage(ctx context.Context, key string) (store.SlackMessage, error)
	PutSlackMessage(ctx context.Context, m store.SlackMessage) error
}

var _ Store = (*store.Store)(nil)

// Decider takes decisions on deployment gates; *deploy.Orchestrator
// implements it. Decide queues the decision durably and returns; dedupe
// identifies the request, so a replay has no second effect.
type Decider interface {
	Decide(ctx context.Context, id string, actor deploy.Actor, approve bool, reason, via, dedupe string) error
}

var _ Decider = (*deploy.Orchestrator)(nil)

// Config configures the Slack integration.
type Config struct {
	// BotToken (xoxb-…) and SigningSecret are required.
	BotToken      bot.Secret
	SigningSecret bot.Secret
	// APIURL defaults to DefaultAPIURL.
	APIURL     string
	HTTPClient *http.Client
	Store      Store
	// Decider may be set after New, before serving (the orchestrator
	// needs the notifier first); see SetDecider.
	Decider Decider
	// Now is the clock of the timestamp window; nil means time.Now.
	Now    func() time.Time
	Logger zerolog.Logger
}

// Slack is the integration.
type Slack struct {
	cfg    Config
	client *sl.Client
}

var (
	_ deploy.Notifier       = (*Slack)(nil)
	_ deploy.SlackGroups    = (*Slack)(nil)
	_ deploy.SlackDirectory = (*Slack)(nil)
	_ bot.Receiver          = (*Slack)(nil)
)

// New checks cfg and returns the integration.
func New(cfg Config) (*Slack, error) {
	var errs []error
	if cfg.BotToken == "" {
		errs = append(errs, errors.New("slack: the bot token (SHIPGATE_SLACK_BOT_TOKEN) is required"))
	}
	if cfg.SigningSecret == "" {
		errs = append(errs, errors.New("slack: the signing secret (SHIPGATE_SLACK_SIGNING_SECRET) is required"))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("slack: a Store is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(cfg.APIURL, "/") {
		cfg.APIURL += "/"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := sl.New(string(cfg.BotToken), sl.OptionAPIURL(cfg.APIURL), sl.OptionHTTPClient(cfg.HTTPClient))
	return &Slack{cfg: cfg, client: c}, nil
}

// SetDecider sets the orchestrator once it exists (it takes the notifier).
func (s *Slack) SetDecider(d Decider) { s.cfg.Decider = d }

// SlackUserByEmail implements deploy.SlackDirectory: the user whose
// profile has the address, "" when none: users.lookupByEmail (scope
// users:read.email).
func (s *Slack) SlackUserByEmail(ctx context.Context, email string) (string, error) {
	u, err := s.client.GetUserByEmailContext(ctx, email)
	var se sl.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "users_not_found" {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("looking a Slack user up by e-mail: %w", err)
	}
	return u.ID, nil
}

// InSlackGroup reports whether user is in the user group:
// usergroups.users.list (scope usergroups:read).
func (s *Slack) InSlackGroup(ctx context.Context, group, user string) (bool, error) {
	users, err := s.client.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		return false, fmt.Errorf("listing the members of Slack group %s: %w", group, err)
	}
	for _, u := range users {
		if u == user {
			return true, nil
		}
	}
	return false, nil
}
