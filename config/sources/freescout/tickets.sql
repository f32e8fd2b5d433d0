-- support_tickets from FreeScout (MySQL / MariaDB and PostgreSQL: the same text
-- runs on both). One row per conversation that is not a draft (state 1 =
-- draft, 2 = published, 3 = deleted; app/Conversation.php STATE_*).
-- * created_at: the first published thread's time, else the conversation's.
--   A conversation an agent composed as a draft is created when the draft is
--   first saved, but its first thread's created_at is reset when it is sent
--   (ConversationsController send_reply: `$thread->created_at = $now`); threads
--   merged in from another conversation keep their older times. Taking the
--   earliest published thread keeps every event at or after the ticket's
--   creation.
-- * channel: FreeScout's conversation type (1 email, 2 phone, 3 chat,
--   4 custom; Conversation::TYPE_*); a non-null `channel` is a module's
--   messaging channel (WhatsApp, Telegram, Facebook, SMS...: the codes are
--   defined by each module, not by core) -> messenger; an email conversation a
--   customer opened from the web (source_type 2, e.g. a web form or the
--   end-user portal) -> web; custom types -> web.
-- * priority: core FreeScout has none -> normal.
-- * category: null. Tags are the Tags module's (tags / conversation_tag), not
--   core.
-- * created_by: source_via 1 customer / 2 user (Conversation::PERSON_*).
--   Phone conversations are logged by an agent (source_via 2), so they count
--   as agent-initiated.
-- * status: the main status is the first digit (Conversation::toMainStatus(),
--   modules add sub-statuses such as 21 under pending): 1 active -> open,
--   2 pending -> pending, 3 closed -> solved (a customer reply reopens it),
--   4 spam -> spam; state 3 (deleted) -> deleted. FreeScout has no "new"
--   status: active covers new and open.
-- * Timestamps are TIMESTAMP columns holding config('app.timezone') local time
--   (UTC unless APP_TIMEZONE is set; see notes.md), read as UTC.
SELECT c.id AS id,
       COALESCE((SELECT MIN(t.created_at)
                   FROM threads t
                  WHERE t.conversation_id = c.id
                    AND t.state = 2),
                c.created_at) AS created_at,
       CASE
         WHEN c.channel IS NOT NULL THEN 'messenger'
         WHEN c.type = 2 THEN 'phone'
         WHEN c.type = 3 THEN 'chat'
         WHEN c.type = 1 AND c.source_via = 1 AND c.source_type = 2 THEN 'web'
         WHEN c.type = 1 THEN 'email'
         ELSE 'web'
       END AS channel,
       'normal' AS priority,
       NULL AS category,
       c.customer_id AS requester_id,
       CASE WHEN c.source_via = 2 THEN 'agent' ELSE 'customer' END AS created_by,
       CASE
         WHEN c.state = 3 THEN 'deleted'
         ELSE CASE CASE WHEN c.status >= 100 THEN FLOOR(c.status / 100)
                        WHEN c.status >= 10 THEN FLOOR(c.status / 10)
                        ELSE c.status END
                WHEN 2 THEN 'pending'
                WHEN 3 THEN 'solved'
                WHEN 4 THEN 'spam'
                ELSE 'open'
              END
       END AS status,
       COALESCE(c.updated_at, c.created_at) AS updated_at
  FROM conversations c
 WHERE c.state <> 1
