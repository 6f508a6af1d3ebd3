package reports

import (
	"errors"
	"fmt"
	"strings"
)

// Figures behind the CO2e defaults.
const (
	// MunicipalityCO2eKgAvoided is the municipality's own figure for one
	// refurbished computer instead of a new one: its first 2,234 refurbished
	// computers avoided about 74,300 kg CO2e, 33.26 kg each (issue 7, from
	// the reseller's climate report to the municipality). It is the default
	// of Config.CO2eKgAvoidedPerDevice.
	MunicipalityCO2eKgAvoided = 74300.0 / 2234.0

	// TypicalNewLaptopCO2eKg is a typical footprint of a new 14-inch business
	// laptop, about 300 kg CO2e over its life, most of it from manufacture
	// (manufacturers' product carbon footprint sheets, e.g. Dell, HP and
	// Lenovo PCFs for their 14" business models). It is a suggested value
	// for ModelConfig.CO2eKgNew, not a default: without a per-model figure
	// the reports use Config.CO2eKgAvoidedPerDevice.
	TypicalNewLaptopCO2eKg = 300.0
)

// Config is the [reports] section of the configuration: prices and climate
// factors of the reuse report. Money is in whole units of Currency.
//
//	[reports]
//	currency = "SEK"
//	default_new_price = 12000          # a new device, when the model has no price
//	default_refurb_price = 5400        # a refurbished one (55 % less)
//	co2e_kg_avoided_per_device = 33.26 # the municipality's 74,300 kg / 2,234 computers
//	refurb_co2e_kg = 0                 # footprint of refurbishing one device
//	avg_repair_cost = 2500             # a repair the warranty paid for
//
//	[[reports.models]]
//	model = "ThinkPad T14 Gen 2"
//	new_price = 14500
//	refurb_price = 6200
//	co2e_kg_new = 300                  # avoided = co2e_kg_new - refurb_co2e_kg
type Config struct {
	Currency           string `toml:"currency"`
	DefaultNewPrice    int    `toml:"default_new_price"`
	DefaultRefurbPrice int    `toml:"default_refurb_price"`
	// CO2eKgAvoidedPerDevice is what one refurbished device avoids when its
	// model has no CO2eKgNew (default MunicipalityCO2eKgAvoided).
	CO2eKgAvoidedPerDevice float64 `toml:"co2e_kg_avoided_per_device"`
	// RefurbCO2eKg is the footprint of refurbishing one device (testing,
	// parts, transport), subtracted from a model's CO2eKgNew.
	RefurbCO2eKg float64 `toml:"refurb_co2e_kg"`
	// AvgRepairCost is what an average repair would have cost without the
	// warranty; each warranty case (not a paid repair) counts it once.
	AvgRepairCost int           `toml:"avg_repair_cost"`
	Models        []ModelConfig `toml:"models"`
}

// ModelConfig overrides the prices and climate figure of one model (matched
// case-insensitively, ignoring surrounding spaces). A zero field falls back
// to the default.
type ModelConfig struct {
	Model       string  `toml:"model"`
	NewPrice    int     `toml:"new_price"`
	RefurbPrice int     `toml:"refurb_price"`
	CO2eKgNew   float64 `toml:"co2e_kg_new"`
}

// DefaultConfig returns the built-in [reports] values. The prices are
// placeholders in the municipality's range (refurbished saves 50–60 %); set
// the real ones from the purchase agreement.
func DefaultConfig() Config {
	return Config{
		Currency:               "SEK",
		DefaultNewPrice:        12000,
		DefaultRefurbPrice:     5400,
		CO2eKgAvoidedPerDevice: MunicipalityCO2eKgAvoided,
		AvgRepairCost:          2500,
	}
}

// Validate reports every bad key at once, naming it as "reports.key".
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config reports.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.DefaultNewPrice < 0 {
		bad("default_new_price", "is negative")
	}
	if c.DefaultRefurbPrice < 0 {
		bad("default_refurb_price", "is negative")
	}
	if c.CO2eKgAvoidedPerDevice < 0 {
		bad("co2e_kg_avoided_per_device", "is negative")
	}
	if c.RefurbCO2eKg < 0 {
		bad("refurb_co2e_kg", "is negative")
	}
	if c.AvgRepairCost < 0 {
		bad("avg_repair_cost", "is negative")
	}
	seen := map[string]bool{}
	for i, m := range c.Models {
		key := fmt.Sprintf("models[%d]", i)
		name := modelKey(m.Model)
		switch {
		case name == "":
			bad(key+".model", "is empty")
		case seen[name]:
			bad(key+".model", "%q is listed twice", m.Model)
		}
		seen[name] = true
		if m.NewPrice < 0 || m.RefurbPrice < 0 {
			bad(key, "a price is negative")
		}
		if m.CO2eKgNew < 0 {
			bad(key+".co2e_kg_new", "is negative")
		}
	}
	return errors.Join(errs...)
}

// ModelFigures are the prices and CO2e avoided that apply to one model.
type ModelFigures struct {
	NewPrice, RefurbPrice int
	CO2eKgAvoided         float64
	// Configured is true when [[reports.models]] lists the model.
	Configured bool
}

// For returns the figures of model: its [[reports.models]] entry where set,
// else the defaults. CO2e avoided is co2e_kg_new − refurb_co2e_kg (never
// below 0) for a model with co2e_kg_new, else co2e_kg_avoided_per_device.
func (c Config) For(model string) ModelFigures {
	f := ModelFigures{NewPrice: c.DefaultNewPrice, RefurbPrice: c.DefaultRefurbPrice, CO2eKgAvoided: c.CO2eKgAvoidedPerDevice}
	key := modelKey(model)
	for _, m := range c.Models {
		if modelKey(m.Model) != key {
			continue
		}
		f.Configured = true
		if m.NewPrice > 0 {
			f.NewPrice = m.NewPrice
		}
		if m.RefurbPrice > 0 {
			f.RefurbPrice = m.RefurbPrice
		}
		if m.CO2eKgNew > 0 {
			f.CO2eKgAvoided = max(m.CO2eKgNew-c.RefurbCO2eKg, 0)
		}
		break
	}
	return f
}

func modelKey(model string) string { return strings.ToLower(strings.TrimSpace(model)) }

// OrDefault returns c, or DefaultConfig() when c is the zero value (no
// [reports] section wired in).
func (c Config) OrDefault() Config {
	if c.Currency == "" && c.DefaultNewPrice == 0 && c.DefaultRefurbPrice == 0 && c.CO2eKgAvoidedPerDevice == 0 &&
		c.RefurbCO2eKg == 0 && c.AvgRepairCost == 0 && len(c.Models) == 0 {
		return DefaultConfig()
	}
	return c
}
