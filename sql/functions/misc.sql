-- Settings and places (API §11, binary misc).

-- The settings document every user starts from (API §11.1).
CREATE OR REPLACE FUNCTION settings_defaults() RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT '{"notifications":{"email":true,"push":true,"workoutReminders":true},
		 "privacy":{"shareLocation":false,"showInFeed":true,"publicProfile":true},
		 "preferences":{"weightUnit":"lbs","theme":"dark"}}'::jsonb
$$;

-- The themes of API §11.2, in the order they are listed.
CREATE OR REPLACE FUNCTION settings_themes() RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT '["light","dark"]'::jsonb
$$;

-- GET /api/settings/themes.
CREATE OR REPLACE FUNCTION settings_themes_doc() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('themes', settings_themes())::text
$$;

-- The allowed values of the settings that are strings.
CREATE OR REPLACE FUNCTION settings_choices(p_section text, p_key text)
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
		WHEN p_section = 'preferences' AND p_key = 'weightUnit'
		THEN '["lbs","kg"]'::jsonb
		WHEN p_section = 'preferences' AND p_key = 'theme'
		THEN settings_themes()
	END
$$;

-- A user's full settings: the defaults, overlaid key by key with what the
-- user saved. Only known sections and keys with a value of the right kind
-- are taken from the stored document. Other binaries read this (e.g. the
-- privacy flags that decide the visibility of new events, API §4.2).
CREATE OR REPLACE FUNCTION settings_document(p_user_id text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		SELECT jsonb_object_agg(d.section, (
			SELECT jsonb_object_agg(k.key, CASE
				WHEN jsonb_typeof(s.settings -> d.section -> k.key)
				     = jsonb_typeof(k.value)
				 AND (settings_choices(d.section, k.key) IS NULL
				      OR settings_choices(d.section, k.key)
					 @> jsonb_build_array(s.settings -> d.section -> k.key))
				THEN s.settings -> d.section -> k.key
				ELSE k.value END)
			  FROM jsonb_each(d.value) k))
		  FROM jsonb_each(settings_defaults()) d(section, value)
		  LEFT JOIN user_settings s ON s.user_id = p_user_id
	) q(v) LIMIT 1);
END;
$$;

-- GET /api/settings.
CREATE OR REPLACE FUNCTION settings_get(p_user_id text) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('success', true,
		'settings', settings_document(p_user_id))::text
$$;

-- PATCH /api/settings: p_patch is a partial settings document. Every
-- section must be one of the defaults' sections and an object, every key
-- one of that section's keys, every value of the default's type (and for
-- weightUnit and theme one of the allowed values); null stands for an
-- absent field (API §1.5). Anything else: MM400 naming the field, and
-- nothing is saved. The patch is deep-merged into the stored document.
CREATE OR REPLACE FUNCTION settings_patch(p_user_id text, p_patch jsonb)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	v_def   jsonb := settings_defaults();
	v_clean jsonb := '{}'::jsonb;
	v_sec   record;
	v_key   record;
	v_ok    jsonb;
	v_new   jsonb;
BEGIN
	IF jsonb_typeof(p_patch) IS DISTINCT FROM 'object' THEN
		RAISE EXCEPTION USING ERRCODE = 'MM400',
		    MESSAGE = 'The body must be a settings object';
	END IF;
	FOR v_sec IN SELECT * FROM jsonb_each(p_patch) ORDER BY key LOOP
		IF NOT v_def ? v_sec.key THEN
			RAISE EXCEPTION USING ERRCODE = 'MM400',
			    MESSAGE = format('Unknown settings section: %s',
				v_sec.key);
		END IF;
		CONTINUE WHEN jsonb_typeof(v_sec.value) = 'null';
		IF jsonb_typeof(v_sec.value) <> 'object' THEN
			RAISE EXCEPTION USING ERRCODE = 'MM400',
			    MESSAGE = format('%s must be an object', v_sec.key);
		END IF;
		FOR v_key IN SELECT * FROM jsonb_each(v_sec.value) ORDER BY key
		LOOP
			IF NOT (v_def -> v_sec.key) ? v_key.key THEN
				RAISE EXCEPTION USING ERRCODE = 'MM400',
				    MESSAGE = format('Unknown setting: %s.%s',
					v_sec.key, v_key.key);
			END IF;
			CONTINUE WHEN jsonb_typeof(v_key.value) = 'null';
			IF jsonb_typeof(v_key.value)
			    <> jsonb_typeof(v_def -> v_sec.key -> v_key.key) THEN
				RAISE EXCEPTION USING ERRCODE = 'MM400',
				    MESSAGE = format('%s.%s must be a %s',
					v_sec.key, v_key.key, jsonb_typeof(
					    v_def -> v_sec.key -> v_key.key));
			END IF;
			v_ok := settings_choices(v_sec.key, v_key.key);
			IF v_ok IS NOT NULL
			    AND NOT v_ok @> jsonb_build_array(v_key.value) THEN
				RAISE EXCEPTION USING ERRCODE = 'MM400',
				    MESSAGE = format('%s.%s must be one of %s',
					v_sec.key, v_key.key, (SELECT
					    string_agg(x, ', ' ORDER BY n)
					  FROM jsonb_array_elements_text(v_ok)
					       WITH ORDINALITY e(x, n)));
			END IF;
			v_clean := jsonb_set(v_clean, ARRAY[v_sec.key],
			    COALESCE(v_clean -> v_sec.key, '{}'::jsonb)
			    || jsonb_build_object(v_key.key, v_key.value));
		END LOOP;
	END LOOP;

	SELECT COALESCE(s.settings, '{}'::jsonb) INTO v_new
	  FROM (SELECT 1) one
	  LEFT JOIN user_settings s ON s.user_id = p_user_id;
	FOR v_sec IN SELECT * FROM jsonb_each(v_clean) LOOP
		v_new := jsonb_set(v_new, ARRAY[v_sec.key],
		    CASE WHEN jsonb_typeof(v_new -> v_sec.key) = 'object'
			 THEN v_new -> v_sec.key ELSE '{}'::jsonb END
		    || v_sec.value);
	END LOOP;
	INSERT INTO user_settings (user_id, settings)
	VALUES (p_user_id, v_new)
	    ON CONFLICT (user_id) DO UPDATE SET settings = excluded.settings
	 WHERE user_settings.settings IS DISTINCT FROM excluded.settings;
	RETURN settings_get(p_user_id);
END;
$$;

-- Great-circle distance in km (haversine, mean Earth radius 6371 km).
CREATE OR REPLACE FUNCTION places_distance_km(lat1 double precision,
    lng1 double precision, lat2 double precision, lng2 double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT 2 * 6371.0 * asin(least(1.0, sqrt(
		power(sin(radians(lat2 - lat1) / 2), 2)
		+ cos(radians(lat1)) * cos(radians(lat2))
		  * power(sin(radians(lng2 - lng1) / 2), 2))))
$$;

-- GET /api/locations/nearby (API §11.3): places within p_radius km of
-- (p_lat, p_lng), nearest first, distance in km (3 decimals). A bounding
-- box on the (lat, lng) index narrows the candidates first; it widens to
-- every longitude near the poles and wraps across the antimeridian.
CREATE OR REPLACE FUNCTION locations_nearby(p_lat double precision,
    p_lng double precision, p_radius double precision)
RETURNS text
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
	-- The first row, as an SQL function answers; PL/pgSQL keeps
	-- the plan (README, "Stored functions").
	RETURN (SELECT q.v FROM (
		WITH box AS (
			SELECT p_lat - degrees(p_radius / 6371.0) AS lat_lo,
			       p_lat + degrees(p_radius / 6371.0) AS lat_hi,
			       CASE WHEN abs(p_lat) + degrees(p_radius / 6371.0) >= 89.9
				    THEN 180.0
				    ELSE least(180.0, degrees(asin(least(1.0,
					sin(p_radius / 6371.0) / cos(radians(p_lat))))))
			       END AS dlng
		), hit AS (
			SELECT p.*, places_distance_km(p_lat, p_lng, p.lat, p.lng) AS km
			  FROM places p, box b
			 WHERE p.lat BETWEEN b.lat_lo AND b.lat_hi
			   AND (b.dlng >= 180.0
				OR p.lng BETWEEN p_lng - b.dlng AND p_lng + b.dlng
				OR p.lng BETWEEN p_lng - b.dlng + 360 AND 180
				OR p.lng BETWEEN -180 AND p_lng + b.dlng - 360)
		)
		SELECT json_build_object('locations', COALESCE(json_agg(
			json_build_object(
				'id', h.id,
				'name', h.name,
				'type', h.type,
				'address', h.address,
				'lat', h.lat,
				'lng', h.lng,
				'distance', round(h.km::numeric, 3))
			ORDER BY h.km, h.id), '[]'::json))::text
		  FROM hit h
		 WHERE h.km <= p_radius
	) q(v) LIMIT 1);
END;
$$;
