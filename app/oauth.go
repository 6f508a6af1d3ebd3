package app

import (
	"context"
	"time"

	"warrantydesk/desk"
	"warrantydesk/handlers"
	"warrantydesk/oauth"
)

// tokenCheckEvery is how often the token is looked at between logins. Only a token within five
// minutes of expiry is renewed, so this costs one request per token lifetime — and a renewal
// that fails is noticed (health, admin mail) even while IDLE keeps the IMAP login open for hours.
const tokenCheckEvery = time.Minute

// bearer returns the token source for mail clients, or a true nil interface without [oauth].
func (a *App) bearer() oauth.Bearer {
	if a.Tokens == nil {
		return nil
	}
	return a.Tokens
}

// runTokenRefresh renews the access token ahead of its expiry until ctx is cancelled.
func (a *App) runTokenRefresh(ctx context.Context) error {
	log := a.Log.With("subsystem", "oauth")
	t := time.NewTicker(tokenCheckEvery)
	defer t.Stop()
	failing := false
	for {
		if _, err := a.Tokens.AccessToken(ctx); err != nil && ctx.Err() == nil {
			if !failing {
				log.Error("mailbox token cannot be renewed", "err", err) // a RenewError holds no secret
			}
			failing = true
			a.alertTokenFailure(ctx)
		} else if err == nil && failing {
			log.Info("mailbox token renewed again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// oauthHealth is the "oauth" health check: failing from the first failed renewal until the next success.
func (a *App) oauthHealth() handlers.HealthCheck {
	st := a.Tokens.Status()
	check := handlers.HealthCheck{OK: st.OK}
	if !st.LastSuccess.IsZero() {
		last := st.LastSuccess
		check.LastSuccess = &last
	}
	switch {
	case !st.OK:
		check.Detail = "mailbox token (" + a.Cfg.OAuth.Provider + ") cannot be renewed: " + st.Detail
	case st.LastSuccess.IsZero():
		check.Detail = "no token yet"
	}
	return check
}

// alertTokenFailure mails the admins, at most once a day, while token renewal fails.
func (a *App) alertTokenFailure(ctx context.Context) {
	if a.Tokens == nil || ctx.Err() != nil {
		return
	}
	st := a.Tokens.Status()
	if st.OK {
		return
	}
	provider := a.Cfg.OAuth.Provider
	_, err := a.Desk.AlertAdmins(ctx, desk.AdminAlert{Kind: "oauth", Data: map[string]any{
		"Provider": provider, "Detail": st.Detail, "StatusURL": a.Cfg.Server.BaseURL + "/healthz",
	}}, time.Now())
	if err != nil {
		a.Log.Error("could not queue the token alert", "subsystem", "oauth", "err", err)
	}
}
