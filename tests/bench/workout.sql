-- The transaction a free-tier POST /api/workouts commits, written as
-- plain SQL for pgbench: the workout, the balance update and its ledger
-- row, and the activity event.  Run with -D "uid='<user id>'" (pgbench substitutes it as text).
\set n random(1, 2000000000)
BEGIN ISOLATION LEVEL SERIALIZABLE;
INSERT INTO workouts (user_id, date, total_tu, credits_used, exercise_data, muscle_activations, idempotency_key)
  VALUES (:uid, current_date, 91.67, 25,
          '[{"exerciseId":"bw-pushup","sets":3,"reps":12,"weight":null,"duration":null,"notes":null}]',
          '{"chest-mid":11.67,"triceps-lateral":22.5}', 'pgbench-' || :n || '-' || random());
UPDATE credit_balances SET balance = balance - 25, lifetime_spent = lifetime_spent + 25,
       version = version + 1, updated_at = now() WHERE user_id = :uid;
INSERT INTO credit_ledger (user_id, action, amount, balance_after, metadata, idempotency_key)
  SELECT :uid, 'workout', -25, balance, '{}', 'pgbench-' || :n || '-' || random()
    FROM credit_balances WHERE user_id = :uid;
INSERT INTO activity_events (user_id, event_type, payload, visibility_scope)
  VALUES (:uid, 'workout_completed', '{"totalTu":91.67}', 'public_anon');
COMMIT;
