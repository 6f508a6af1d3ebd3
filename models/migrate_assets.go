package models

// assetMigrations are the schema changes of the asset registry (versions 10–19).
var assetMigrations = []migration{}
