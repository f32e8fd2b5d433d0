-- support_ticket_events from Chatwoot (PostgreSQL).
-- * messages: incoming (0) are the customer's; outgoing (1) an agent's
--   when a User sent them, else a bot's (agent bots, Captain, automations);
--   templates (3) are the bot's; private ones are internal notes. Activity
--   messages (2) are skipped: their text is translated, the same changes
--   are read from reporting_events.
-- * reporting_events: conversation_resolved / conversation_bot_resolved
--   are solves, conversation_opened a reopen.
-- * one assignment per conversation at its creation, to its current team
--   (teams.name) and assignee: Chatwoot keeps no structured assignment
--   history, so re-routes are not seen.
-- Event ids must grow as rows arrive and be unique per conversation across
-- the three tables: the row's insertion time in microseconds, times 4,
-- plus the table (0, 1, 2).
SELECT (floor(extract(epoch FROM m.created_at) * 1000000)::bigint * 4) AS id,
       m.conversation_id AS ticket_id,
       m.created_at AS occurred_at,
       CASE WHEN m.private THEN 'note' ELSE 'message' END AS kind,
       CASE
         WHEN m.message_type = 0 THEN 'customer'
         WHEN m.sender_type = 'User' THEN 'agent'
         ELSE 'bot'
       END AS actor,
       m.sender_id AS actor_id,
       CAST(NULL AS text) AS team,
       CAST(NULL AS bigint) AS agent_id,
       CAST(NULL AS text) AS status
  FROM messages m
 WHERE m.message_type IN (0, 1, 3)
UNION ALL
SELECT (floor(extract(epoch FROM r.created_at) * 1000000)::bigint * 4 + 1),
       r.conversation_id,
       COALESCE(r.event_end_time, r.created_at),
       'status',
       CASE WHEN r.user_id IS NULL THEN 'system' ELSE 'agent' END,
       r.user_id,
       NULL,
       NULL,
       CASE r.name WHEN 'conversation_opened' THEN 'open' ELSE 'solved' END
  FROM reporting_events r
 WHERE r.name IN ('conversation_resolved', 'conversation_bot_resolved', 'conversation_opened')
   AND r.conversation_id IS NOT NULL
UNION ALL
SELECT (floor(extract(epoch FROM c.created_at) * 1000000)::bigint * 4 + 2),
       c.id,
       c.created_at,
       'assign',
       'system',
       NULL,
       t.name,
       c.assignee_id,
       NULL
  FROM conversations c
  LEFT JOIN teams t ON t.id = c.team_id
