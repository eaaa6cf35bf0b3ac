package autoscaler

import (
	"time"

	"github.com/fastscaler/fastscaler/autoscaler/config"
)

// DefaultServiceRefresh is how often the daemon re-reads its services from ECS.
const DefaultServiceRefresh = 5 * time.Second

// Config is the daemon's configuration; its variables are declared in package config.
type Config = config.Config

// LoadConfig reads and validates the daemon's configuration from environ (see config.Load).
func LoadConfig(environ []string) (Config, error) { return config.Load(environ) }

// LoadServicesConfig reads what the SRE commands need from environ (see config.LoadServices).
func LoadServicesConfig(environ []string) (Config, error) { return config.LoadServices(environ) }
