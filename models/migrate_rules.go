package models

// ruleMigrations are the schema changes of the routing rules (versions 20–29).
var ruleMigrations = []migration{}
