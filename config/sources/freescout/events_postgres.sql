-- support_ticket_events from FreeScout (PostgreSQL). The same query as
-- events_mysql.sql (read its header for the mapping); the differences are
-- EXTRACT(EPOCH FROM created_at) for the unix seconds (created_at is a
-- timestamp(0) without time zone, so the epoch is taken as if it were UTC,
-- like MySQL's TIMESTAMPDIFF from 1970-01-01) and typed NULLs (PostgreSQL
-- resolves the types of a UNION pairwise: two untyped NULLs become text).
SELECT CAST(EXTRACT(EPOCH FROM t.created_at) AS bigint) * 2097152
         + MOD(t.id, 262144) * 8 + 1 AS id,
       t.conversation_id AS ticket_id,
       t.created_at AS occurred_at,
       CASE WHEN t.type = 3 AND c.type <> 2 THEN 'note' ELSE 'message' END AS kind,
       CASE
         WHEN t.type = 1 THEN 'customer'
         WHEN t.created_by_user_id IS NOT NULL THEN 'agent'
         ELSE 'bot'
       END AS actor,
       CASE WHEN t.type = 1 THEN t.created_by_customer_id ELSE t.created_by_user_id END AS actor_id,
       CAST(NULL AS text) AS team,
       CAST(NULL AS integer) AS agent_id,
       CAST(NULL AS text) AS status
  FROM threads t
  JOIN conversations c ON c.id = t.conversation_id
 WHERE t.state = 2
   AND t.type IN (1, 2, 3)
   AND c.state <> 1
UNION ALL
SELECT CAST(EXTRACT(EPOCH FROM s.created_at) AS bigint) * 2097152
         + MOD(s.id, 262144) * 8 + 3,
       t.conversation_id,
       s.created_at,
       'message',
       'bot',
       CAST(NULL AS integer),
       CAST(NULL AS text),
       CAST(NULL AS integer),
       CAST(NULL AS text)
  FROM send_logs s
  JOIN threads t ON t.id = s.thread_id
  JOIN conversations c ON c.id = t.conversation_id
 WHERE s.mail_type = 3
   AND s.status = 1
   AND c.state <> 1
   AND NOT EXISTS (SELECT 1
                     FROM send_logs s0
                    WHERE s0.thread_id = s.thread_id
                      AND s0.mail_type = 3
                      AND s0.status = 1
                      AND s0.id < s.id)
UNION ALL
SELECT CAST(EXTRACT(EPOCH FROM x.created_at) AS bigint) * 2097152
         + MOD(x.id, 262144) * 8 + 2,
       x.conversation_id,
       x.created_at,
       'status',
       CASE
         WHEN x.type = 1 THEN 'customer'
         WHEN x.created_by_user_id IS NOT NULL THEN 'agent'
         ELSE 'system'
       END,
       CASE WHEN x.type = 1 THEN x.created_by_customer_id ELSE x.created_by_user_id END,
       CAST(NULL AS text),
       CAST(NULL AS integer),
       x.new_status
  FROM (SELECT t.id,
               t.conversation_id,
               t.created_at,
               t.type,
               t.created_by_user_id,
               t.created_by_customer_id,
               CASE CASE WHEN t.status >= 100 THEN FLOOR(t.status / 100)
                         WHEN t.status >= 10 THEN FLOOR(t.status / 10)
                         ELSE t.status END
                 WHEN 2 THEN 'pending' WHEN 3 THEN 'solved' WHEN 4 THEN 'spam' ELSE 'open'
               END AS new_status,
               (SELECT CASE CASE WHEN p.status >= 100 THEN FLOOR(p.status / 100)
                                 WHEN p.status >= 10 THEN FLOOR(p.status / 10)
                                 ELSE p.status END
                         WHEN 2 THEN 'pending' WHEN 3 THEN 'solved' WHEN 4 THEN 'spam' ELSE 'open'
                       END
                  FROM threads p
                 WHERE p.conversation_id = t.conversation_id
                   AND p.state = 2
                   AND (p.type IN (1, 2, 3) OR (p.type = 4 AND p.action_type = 1))
                   AND p.status <> 6
                   AND NOT (p.source_type = 3 AND p.type IN (2, 3))
                   AND (p.created_at < t.created_at OR (p.created_at = t.created_at AND p.id < t.id))
                 ORDER BY p.created_at DESC, p.id DESC
                 LIMIT 1) AS prev_status
          FROM threads t
          JOIN conversations c ON c.id = t.conversation_id
         WHERE t.state = 2
           AND (t.type IN (1, 2, 3) OR (t.type = 4 AND t.action_type = 1))
           AND t.status <> 6
           AND NOT (t.source_type = 3 AND t.type IN (2, 3))
           AND c.state <> 1) x
 WHERE (x.prev_status IS NULL AND x.new_status <> 'open')
    OR x.prev_status <> x.new_status
UNION ALL
SELECT CAST(EXTRACT(EPOCH FROM y.created_at) AS bigint) * 2097152
         + MOD(y.id, 262144) * 8 + 0,
       y.conversation_id,
       y.created_at,
       'assign',
       CASE WHEN y.is_first = 0 AND y.created_by_user_id IS NOT NULL THEN 'agent' ELSE 'system' END,
       CASE WHEN y.is_first = 0 THEN y.created_by_user_id END,
       CASE
         WHEN y.is_first = 1 OR y.is_move = 1 THEN COALESCE(m.name, CONCAT('mailbox ', y.team_mailbox))
       END,
       CASE
         WHEN y.user_id IS NOT NULL AND (y.prev_user_id IS NULL OR y.prev_user_id <> y.user_id)
         THEN y.user_id
       END,
       CAST(NULL AS text)
  FROM (SELECT t.id,
               t.conversation_id,
               t.created_at,
               t.created_by_user_id,
               t.user_id,
               CASE WHEN t.type = 4 AND t.action_type = 3 THEN 1 ELSE 0 END AS is_move,
               CASE WHEN EXISTS (SELECT 1
                                   FROM threads p
                                  WHERE p.conversation_id = t.conversation_id
                                    AND p.state = 2
                                    AND (p.created_at < t.created_at
                                         OR (p.created_at = t.created_at AND p.id < t.id)))
                    THEN 0 ELSE 1 END AS is_first,
               (SELECT p.user_id
                  FROM threads p
                 WHERE p.conversation_id = t.conversation_id
                   AND p.state = 2
                   AND (p.created_at < t.created_at OR (p.created_at = t.created_at AND p.id < t.id))
                 ORDER BY p.created_at DESC, p.id DESC
                 LIMIT 1) AS prev_user_id,
               COALESCE((SELECT n.action_data
                           FROM threads n
                          WHERE n.conversation_id = t.conversation_id
                            AND n.state = 2
                            AND n.type = 4
                            AND n.action_type = 3
                            AND (n.created_at > t.created_at OR (n.created_at = t.created_at AND n.id > t.id))
                          ORDER BY n.created_at, n.id
                          LIMIT 1),
                        CONCAT('', c.mailbox_id)) AS team_mailbox
          FROM threads t
          JOIN conversations c ON c.id = t.conversation_id
         WHERE t.state = 2
           AND c.state <> 1) y
  LEFT JOIN mailboxes m ON CONCAT('', m.id) = y.team_mailbox
 WHERE y.is_first = 1
    OR y.is_move = 1
    OR (y.user_id IS NOT NULL AND (y.prev_user_id IS NULL OR y.prev_user_id <> y.user_id))
