-- Plugin registry.

create table installed_plugins (
	id           text primary key,
	name         text not null,
	version      text not null,
	display_name text,
	description  text,
	enabled      boolean not null default true,
	config       jsonb,
	installed_at timestamptz not null default now(),
	updated_at   timestamptz not null default now()
);

create trigger installed_plugins_updated_at before update on installed_plugins
	for each row execute function update_updated_at();
