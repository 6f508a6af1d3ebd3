package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrDuplicate is returned when a unique value is already taken.
var ErrDuplicate = errors.New("already exists")

// HashToken returns the stored form of a bearer or session token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewToken returns 32 random bytes, URL-safe encoded.
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateAgent inserts an agent; ErrDuplicate when the email is taken.
func (s *Store) CreateAgent(ctx context.Context, a *Agent) error {
	a.Email = strings.ToLower(strings.TrimSpace(a.Email))
	if _, err := s.AgentByEmail(ctx, a.Email); err == nil {
		return fmt.Errorf("agent %q: %w", a.Email, ErrDuplicate)
	}
	return s.w.WithContext(ctx).Create(a).Error
}

// UpdateAgentPassword replaces an agent's password hash.
func (s *Store) UpdateAgentPassword(ctx context.Context, id uint, hash string) error {
	return s.w.WithContext(ctx).Model(&Agent{}).Where("id = ?", id).Update("password_hash", hash).Error
}

// AgentByEmail loads an agent by email (case-insensitive).
func (s *Store) AgentByEmail(ctx context.Context, email string) (*Agent, error) {
	var a Agent
	err := s.r.WithContext(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).First(&a).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// AgentByID loads an agent.
func (s *Store) AgentByID(ctx context.Context, id uint) (*Agent, error) {
	var a Agent
	if err := s.r.WithContext(ctx).First(&a, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// ListAgents lists every agent by name.
func (s *Store) ListAgents(ctx context.Context) ([]Agent, error) {
	var out []Agent
	err := s.r.WithContext(ctx).Order("name").Find(&out).Error
	return out, err
}

// CreateAPIToken makes a new token for agentID and returns its plain value,
// which is shown once and never stored.
func (s *Store) CreateAPIToken(ctx context.Context, agentID uint, label string) (string, error) {
	plain := "wd_" + NewToken()
	t := APIToken{AgentID: agentID, TokenHash: HashToken(plain), Label: label}
	if err := s.w.WithContext(ctx).Omit("Agent").Create(&t).Error; err != nil {
		return "", fmt.Errorf("create API token: %w", err)
	}
	return plain, nil
}

// AgentByAPIToken returns the agent owning an unrevoked token and records
// when the token was used (at most once a minute).
func (s *Store) AgentByAPIToken(ctx context.Context, plain string) (*Agent, error) {
	var t APIToken
	err := s.r.WithContext(ctx).Preload("Agent").
		Where("token_hash = ? AND revoked_at IS NULL", HashToken(plain)).First(&t).Error
	if err != nil {
		return nil, notFound(err)
	}
	if err := s.noteTokenUse(ctx, &t, time.Now()); err != nil {
		// Bookkeeping only: the request goes on.
		s.log.Warn("record API token use", "token_id", t.ID, "err", err)
	}
	return &t.Agent, nil
}

// CreateSession starts a browser session for agentID and returns the cookie value.
func (s *Store) CreateSession(ctx context.Context, agentID uint, ttl time.Duration) (string, error) {
	plain := NewToken()
	sess := Session{TokenHash: HashToken(plain), AgentID: agentID, ExpiresAt: time.Now().UTC().Add(ttl)}
	if err := s.w.WithContext(ctx).Omit("Agent").Create(&sess).Error; err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return plain, nil
}

// AgentBySession returns the agent of an unexpired session.
func (s *Store) AgentBySession(ctx context.Context, plain string) (*Agent, error) {
	sess, err := s.SessionByToken(ctx, plain)
	if err != nil {
		return nil, err
	}
	return &sess.Agent, nil
}

// SessionByToken loads an unexpired session with its agent, in one query.
func (s *Store) SessionByToken(ctx context.Context, plain string) (*Session, error) {
	var sess Session
	err := s.r.WithContext(ctx).Joins("Agent").
		Where("sessions.token_hash = ? AND sessions.expires_at > ?", HashToken(plain), time.Now().UTC()).Take(&sess).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &sess, nil
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, plain string) error {
	return s.w.WithContext(ctx).Where("token_hash = ?", HashToken(plain)).Delete(&Session{}).Error
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) error {
	return s.w.WithContext(ctx).Where("expires_at <= ?", time.Now().UTC()).Delete(&Session{}).Error
}
