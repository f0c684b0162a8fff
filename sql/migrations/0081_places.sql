-- Places near a user (API §11.3): gyms, parks and other spots with a
-- position. The reference data ships none; operators (and tests) insert
-- rows. Distances are computed in the database with the haversine formula
-- (sql/functions/misc.sql); the index on (lat, lng) serves the bounding box
-- that narrows the candidates before the exact distance is computed.

create table places (
	id         text primary key default mm_id('place'),
	name       text not null,
	type       text not null default 'gym',
	address    text,
	lat        double precision not null check (lat between -90 and 90),
	lng        double precision not null check (lng between -180 and 180),
	created_at timestamptz not null default now()
);

create index places_lat_lng_idx on places (lat, lng);
