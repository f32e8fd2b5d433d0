-- support_tickets from Chatwoot (PostgreSQL): one ticket per conversation.
-- Chatwoot enums: conversations.status open=0 resolved=1 pending=2
-- snoozed=3; priority low=0 medium=1 high=2 urgent=3 (null: none);
-- messages.message_type incoming=0 outgoing=1 activity=2 template=3.
-- The channel comes from the inbox's channel type, the category from the
-- conversation's first label. A conversation is agent-initiated when a
-- campaign started it or its first public message is an agent's.
-- Timestamps are Rails' UTC `timestamp` columns, read as UTC.
SELECT c.id AS id,
       c.created_at AS created_at,
       CASE i.channel_type
         WHEN 'Channel::Email' THEN 'email'
         WHEN 'Channel::WebWidget' THEN 'chat'
         WHEN 'Channel::Api' THEN 'web'
         WHEN 'Channel::Sms' THEN 'sms'
         WHEN 'Channel::TwilioSms' THEN 'sms'
         WHEN 'Channel::Voice' THEN 'phone'
         WHEN 'Channel::FacebookPage' THEN 'messenger'
         WHEN 'Channel::Whatsapp' THEN 'messenger'
         WHEN 'Channel::Telegram' THEN 'messenger'
         WHEN 'Channel::Line' THEN 'messenger'
         WHEN 'Channel::Instagram' THEN 'social'
         WHEN 'Channel::TwitterProfile' THEN 'social'
         ELSE 'web'
       END AS channel,
       CASE c.priority
         WHEN 0 THEN 'low'
         WHEN 2 THEN 'high'
         WHEN 3 THEN 'urgent'
         ELSE 'normal'
       END AS priority,
       NULLIF(btrim(split_part(c.cached_label_list, ',', 1)), '') AS category,
       c.contact_id AS requester_id,
       CASE
         WHEN c.campaign_id IS NOT NULL THEN 'agent'
         WHEN (SELECT m.message_type = 1 AND m.sender_type = 'User'
                 FROM messages m
                WHERE m.conversation_id = c.id
                  AND m.message_type IN (0, 1)
                  AND NOT m.private
                ORDER BY m.created_at, m.id
                LIMIT 1) THEN 'agent'
         ELSE 'customer'
       END AS created_by,
       CASE c.status
         WHEN 1 THEN 'solved'
         WHEN 2 THEN 'pending'
         WHEN 3 THEN 'on_hold'
         ELSE 'open'
       END AS status,
       GREATEST(c.updated_at, c.last_activity_at) AS updated_at
  FROM conversations c
  JOIN inboxes i ON i.id = c.inbox_id
