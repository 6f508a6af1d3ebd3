package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// SchemaMigration records one applied migration.
type SchemaMigration struct {
	Version     int    `gorm:"primaryKey;autoIncrement:false"`
	Description string `gorm:"size:200;not null"`
	AppliedAt   time.Time
}

type migration struct {
	version     int
	description string
	up          func(tx *gorm.DB) error
}

// migrations is the ordered, append-only list of schema changes. Never edit an
// applied migration: add a new one, so that upgrades are safe on a database
// with real tickets in it.
var migrations = []migration{
	{1, "initial schema", func(tx *gorm.DB) error {
		if err := tx.AutoMigrate(AllModels()...); err != nil {
			return err
		}
		return textColumns(tx)
	}},
	{2, "full-text search over tickets", func(tx *gorm.DB) error {
		if !isSQLite(tx) {
			return createTicketSearchPostgres(tx)
		}
		// remove_diacritics 2 lets a search for "skarm" find "skärmen"; prefix
		// queries let "skärm" find it too.
		return tx.Exec(`CREATE VIRTUAL TABLE ticket_fts USING fts5(
			subject, body, requester, serial,
			tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4')`).Error
	}},
}

// allMigrations is every schema change in version order. Feature areas keep
// their migrations in their own file (migrate_*.go) with their own version
// range, so that they never collide: core 1–9, assets 10–19, routing rules 20–29,
// vendor cases 30–39, canned replies 40–49, ticket views 50–59, admin and merging 60–69, privacy 70–79,
// JSON API and webhooks 90–99, intake performance 100–109.
// reseller loop 30–39.
var allMigrations = collectMigrations(migrations, assetMigrations, ruleMigrations, vendorMigrations, cannedMigrations, adminMigrations, viewMigrations, privacyMigrations, portalMigrations, apiMigrations, intakeMigrations)

func collectMigrations(lists ...[]migration) []migration {
	var out []migration
	seen := map[int]string{}
	for _, l := range lists {
		for _, m := range l {
			if other, dup := seen[m.version]; dup {
				panic(fmt.Sprintf("migration version %d used twice (%q and %q)", m.version, other, m.description))
			}
			seen[m.version] = m.description
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	return out
}

// SchemaVersion is the newest migration this binary knows.
func SchemaVersion() int { return allMigrations[len(allMigrations)-1].version }

// Migrate applies every pending migration, each in its own transaction.
func (s *Store) Migrate(ctx context.Context) error {
	return withMigrationLock(s.w.WithContext(ctx), s.migrate)
}

func (s *Store) migrate(db *gorm.DB) error {
	// Created once; AutoMigrate on every start would read the catalog
	// (slow on PostgreSQL's information_schema) for nothing.
	if !db.Migrator().HasTable(&SchemaMigration{}) {
		if err := db.AutoMigrate(&SchemaMigration{}); err != nil {
			return fmt.Errorf("create schema_migrations: %w", explainDenied(err))
		}
	}
	var applied []SchemaMigration
	if err := db.Find(&applied).Error; err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	done := map[int]bool{}
	newest := 0
	for _, m := range applied {
		done[m.Version] = true
		newest = max(newest, m.Version)
	}
	if newest > SchemaVersion() {
		return fmt.Errorf("database schema version %d is newer than this binary (%d): upgrade warrantydesk", newest, SchemaVersion())
	}
	for _, m := range allMigrations {
		if done[m.version] {
			continue
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := m.up(tx); err != nil {
				return err
			}
			return tx.Create(&SchemaMigration{Version: m.version, Description: m.description, AppliedAt: time.Now().UTC()}).Error
		})
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.description, explainDenied(err))
		}
		s.log.Info("applied migration", "version", m.version, "description", m.description)
	}
	return nil
}

// AppliedMigrations lists the migrations recorded in the database.
func (s *Store) AppliedMigrations(ctx context.Context) ([]SchemaMigration, error) {
	var out []SchemaMigration
	err := s.r.WithContext(ctx).Order("version").Find(&out).Error
	return out, err
}
