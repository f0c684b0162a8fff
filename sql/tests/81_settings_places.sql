-- Settings and places (API §11.1, §11.3; sql/functions/misc.sql): the
-- defaults, deep-merged partial updates, the validation that rejects
-- unknown sections, keys and wrong types without saving anything, and
-- haversine distances with the bounding box across the antimeridian.
-- Creates its own users and places.

begin;
select plan(24);

insert into users (id, email, username, password_hash)
values ('user_pgtap81a', 'pgtap81a@test.invalid', 'pgtap81a', 'x');

select is(settings_document('user_pgtap81a'), settings_defaults(),
	'a new user has the defaults');
select is(settings_defaults() -> 'preferences',
	'{"weightUnit": "lbs", "theme": "dark"}'::jsonb, 'preference defaults');
select is(settings_get('user_pgtap81a')::jsonb,
	jsonb_build_object('success', true, 'settings', settings_defaults()), 'GET shape');

select is(settings_patch('user_pgtap81a', '{"privacy": {"showInFeed": false}}')::jsonb
	  #> '{settings,privacy}',
	'{"showInFeed": false, "publicProfile": true, "shareLocation": false}'::jsonb,
	'one key changed, its siblings kept');
select is(settings_patch('user_pgtap81a',
	  '{"preferences": {"theme": "light"}, "notifications": {"push": false}}')::jsonb
	  -> 'settings',
	'{"notifications": {"email": true, "push": false, "workoutReminders": true},
	  "privacy": {"shareLocation": false, "showInFeed": false, "publicProfile": true},
	  "preferences": {"weightUnit": "lbs", "theme": "light"}}'::jsonb,
	'deep merge over earlier changes');
select is((select settings from user_settings where user_id = 'user_pgtap81a'),
	'{"privacy": {"showInFeed": false}, "preferences": {"theme": "light"},
	  "notifications": {"push": false}}'::jsonb, 'only what the user set is stored');
select is(settings_patch('user_pgtap81a', '{"privacy": null, "preferences": {"theme": null}}')
	  ::jsonb -> 'settings', settings_document('user_pgtap81a'), 'null is absent');

select throws_ok($$select settings_patch('user_pgtap81a', '{"display": {}}')$$,
	'MM400', 'Unknown settings section: display', 'unknown section');
select throws_ok($$select settings_patch('user_pgtap81a', '{"privacy": {"nope": true}}')$$,
	'MM400', 'Unknown setting: privacy.nope', 'unknown key');
select throws_ok($$select settings_patch('user_pgtap81a', '{"privacy": {"showInFeed": "yes"}}')$$,
	'MM400', 'privacy.showInFeed must be a boolean', 'string for a boolean');
select throws_ok($$select settings_patch('user_pgtap81a', '{"preferences": {"theme": 1}}')$$,
	'MM400', 'preferences.theme must be a string', 'number for a string');
select throws_ok($$select settings_patch('user_pgtap81a', '{"preferences": {"theme": "blue"}}')$$,
	'MM400', 'preferences.theme must be one of light, dark', 'unknown theme');
select throws_ok($$select settings_patch('user_pgtap81a', '{"preferences": {"weightUnit": "st"}}')$$,
	'MM400', 'preferences.weightUnit must be one of lbs, kg', 'unknown unit');
select throws_ok($$select settings_patch('user_pgtap81a', '{"privacy": true}')$$,
	'MM400', 'privacy must be an object', 'a section that is not an object');
select throws_ok($$select settings_patch('user_pgtap81a',
	'{"privacy": {"showInFeed": true}, "preferences": {"theme": "x"}}')$$,
	'MM400', null, 'one bad field rejects the whole patch');
select is((select settings -> 'privacy' from user_settings where user_id = 'user_pgtap81a'),
	'{"showInFeed": false}'::jsonb, 'nothing saved by a rejected patch');

-- Stored junk (written by hand) never leaks into the document.
update user_settings set settings = '{"privacy": {"showInFeed": "no"}, "x": 1,
	"preferences": {"theme": "neon"}}' where user_id = 'user_pgtap81a';
select is(settings_document('user_pgtap81a'), settings_defaults(),
	'invalid stored values fall back to the defaults');

-- Distances.
select ok(abs(places_distance_km(48.8566, 2.3522, 51.5074, -0.1278) - 343.56) < 0.1,
	'Paris to London is about 343.6 km');
select is(places_distance_km(10, 20, 10, 20), 0::double precision, 'zero distance');
select ok(abs(places_distance_km(0, 179.9, 0, -179.9) - 22.24) < 0.01,
	'across the antimeridian the short way');

delete from places;
insert into places (id, name, type, address, lat, lng)
values ('place_pgtap81_a', 'A', 'gym', '1 A street', 52.5200, 13.4050),
       ('place_pgtap81_b', 'B', 'park', null, 52.5300, 13.4200),
       ('place_pgtap81_c', 'C', 'gym', null, 52.6500, 13.4050),
       ('place_pgtap81_d', 'D', 'gym', null, 0, 179.99),
       ('place_pgtap81_e', 'E', 'gym', null, 0, -179.99);
select is((select jsonb_agg(l ->> 'id') from jsonb_array_elements(
	locations_nearby(52.52, 13.405, 10)::jsonb -> 'locations') l),
	'["place_pgtap81_a", "place_pgtap81_b"]'::jsonb, 'within 10 km, nearest first');
select is((select jsonb_agg(l ->> 'id') from jsonb_array_elements(
	locations_nearby(52.52, 13.405, 20)::jsonb -> 'locations') l),
	'["place_pgtap81_a", "place_pgtap81_b", "place_pgtap81_c"]'::jsonb, 'radius 20');
select is((locations_nearby(52.52, 13.405, 10)::jsonb -> 'locations' -> 0),
	'{"id": "place_pgtap81_a", "name": "A", "type": "gym", "address": "1 A street",
	  "lat": 52.52, "lng": 13.405, "distance": 0.000}'::jsonb, 'location object');
select is((select jsonb_agg(l ->> 'id' order by l ->> 'id') from jsonb_array_elements(
	locations_nearby(0, 180, 5)::jsonb -> 'locations') l),
	'["place_pgtap81_d", "place_pgtap81_e"]'::jsonb, 'both sides of the date line');

select * from finish();
rollback;
