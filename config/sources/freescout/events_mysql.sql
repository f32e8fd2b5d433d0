-- support_ticket_events from FreeScout (MySQL 5.7+ / MariaDB 10.x; no window
-- functions. PostgreSQL: events_postgres.sql, the same query with EXTRACT(EPOCH ...)
-- and typed NULLs). Everything a conversation records is a row of `threads`
-- (app/Thread.php TYPE_*: 1 customer message, 2 user message, 3 note,
-- 4 line item); only published threads count (state 2; drafts are 1, hidden 3,
-- review 4). Conversations still in draft (state 1) are skipped.
-- * messages: customer threads (actor customer), user threads (agent; bot
--   when no user wrote it, e.g. a module), notes (internal). FreeScout logs a
--   phone call as a note (send_reply: `if ($is_forward || $is_phone)
--   TYPE_NOTE`; Conversation::getLastReply() counts notes of phone
--   conversations as replies), so notes of phone conversations (type 2) are
--   customer-visible messages.
-- * auto-replies: FreeScout does not store them as threads. The SendAutoReply
--   job mails them and writes send_logs rows (mail_type 3 = auto reply,
--   thread_id = the customer thread answered, status 1 = accepted; a failed
--   try logs status 2 and is retried): the first accepted one per thread is a
--   bot message (an acknowledgement, never a first response).
-- * status: each published thread stores the conversation status after it
--   (`threads.status`, same codes as conversations.status): a reply or note
--   saves the status chosen in the reply form, a customer reply the status it
--   set (active), a status line item (action_type 1) the new status. Core
--   writes no line item when the status changes together with a reply, so
--   every such thread is a status event where its status differs from the
--   previous one's (and the first thread's when it is not active: phone and
--   agent-created conversations start pending or closed). Skipped as status
--   sources: status 6 (STATUS_NOCHANGE, line items of assignee/customer
--   changes and deletions), other line items, and replies or notes created
--   through the API (source_type 3), which never set threads.status
--   (Thread::createExtended), so the column holds the default 1.
-- * assign: teams are mailboxes. The first published thread carries the
--   first assignment: the conversation's original mailbox and the assignee
--   then (threads.user_id: the conversation's assignee after the thread). Any
--   later thread whose user_id differs from the previous thread's is a
--   reassignment (assignee line items, action_type 2, and assignee changes
--   made in the reply form, which leave no line item); null (unassigned) is
--   not reported, since a null agent_id means "unchanged". A move to another
--   mailbox is a line item with action_type 3 whose action_data is the
--   PREVIOUS mailbox id (Conversation::moveToMailbox); the mailbox it moved
--   to is the next move's action_data, or conversations.mailbox_id after the
--   last move, and the original mailbox is the first move's action_data.
-- * actor_id: threads.created_by_customer_id for customers, else
--   created_by_user_id (customers and users are separate id spaces).
-- Event ids: FreeScout allocates a reply's threads.id when its draft is first
-- autosaved and publishes it later (created_at reset on send), so threads.id
-- does not grow as events become visible. The id is built from the time the
-- row appeared instead: unix seconds of created_at * 2^21 + (row id mod 2^18)
-- * 8 + part (0 assign, 1 message or note, 2 status, from threads; 3 auto
-- reply, from send_logs.id). Unique unless two rows of one table 2^18 ids
-- apart share a second; below 2^53 until 2100. Rows dated in the past
-- (imports, threads moved by a merge) arrive below the watermark.
-- Timestamps: TIMESTAMP columns holding config('app.timezone') local time
-- (UTC unless APP_TIMEZONE is set), read as UTC.
SELECT TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', t.created_at) * 2097152
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
       NULL AS team,
       NULL AS agent_id,
       NULL AS status
  FROM threads t
  JOIN conversations c ON c.id = t.conversation_id
 WHERE t.state = 2
   AND t.type IN (1, 2, 3)
   AND c.state <> 1
UNION ALL
SELECT TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', s.created_at) * 2097152
         + MOD(s.id, 262144) * 8 + 3,
       t.conversation_id,
       s.created_at,
       'message',
       'bot',
       NULL,
       NULL,
       NULL,
       NULL
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
SELECT TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', x.created_at) * 2097152
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
       NULL,
       NULL,
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
SELECT TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', y.created_at) * 2097152
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
       NULL
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
