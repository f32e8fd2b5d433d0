-- support_tickets from Zendesk as synced by Fivetran (PostgreSQL), one row per
-- row of `ticket`.
-- * status: Zendesk's status (new, open, pending, hold, solved, closed,
--   deleted; custom ticket statuses still carry one of these categories in
--   `status`).  hold -> on_hold ('on-hold', the spelling of old dbt_zendesk
--   seeds, too); a row Fivetran marks _fivetran_deleted is deleted.  Zendesk
--   deletes spam (Mark as spam = delete + suspend the user): it reads as deleted.
-- * channel: via_channel (how the ticket was created): email/mail -> email,
--   chat -> chat, voice/phone -> phone, sms -> sms, api/web_service -> api,
--   Twitter/Facebook/Instagram -> social, WhatsApp, Zendesk messaging
--   (native_messaging, mobile_sdk), LINE, WeChat, Telegram, Viber, Apple/Google
--   business chat, any_channel -> messenger; web, Help Center, web widget,
--   the agent interface, follow-ups (closed_ticket), rules, samples -> web.
-- * priority: low/normal/high/urgent; NULL (not set) and anything else -> normal.
-- * category: `type` (question, incident, problem, task; NULL when not set).
--   Zendesk's real "topic" axis is usually a tag or a custom field
--   (ticket_tag, ticket_custom_field): swap it in where the account has one.
-- * created_by: agent when the submitter (who created the ticket; always the
--   author of its first comment) is an agent or admin other than the requester
--   (an agent opened it on the customer's behalf: outbound email, proactive
--   contact, a logged call); customer otherwise (requester = submitter, also when
--   the requester is an agent filing a ticket for themselves).  Uses the
--   submitter's *current* role.
-- * Timestamps: Zendesk instants in UTC (timestamp without time zone holding
--   UTC, or timestamptz in a real Fivetran destination: both read as UTC).
SELECT t.id AS id,
       t.created_at AS created_at,
       CASE
         WHEN lower(t.via_channel) IN ('email', 'mail') THEN 'email'
         WHEN lower(t.via_channel) LIKE '%chat%' AND lower(t.via_channel) NOT IN ('apple_business_chat', 'google_business_chat') THEN 'chat'
         WHEN lower(t.via_channel) IN ('voice', 'phone', 'voicemail') OR lower(t.via_channel) LIKE 'phone_call%' THEN 'phone'
         WHEN lower(t.via_channel) IN ('sms', 'text') THEN 'sms'
         WHEN lower(t.via_channel) IN ('api', 'web_service') THEN 'api'
         WHEN lower(t.via_channel) LIKE 'twitter%' OR lower(t.via_channel) LIKE 'facebook%'
           OR lower(t.via_channel) LIKE 'instagram%' OR lower(t.via_channel) = 'x' THEN 'social'
         WHEN lower(t.via_channel) IN ('native_messaging', 'mobile_sdk', 'sdk', 'messaging', 'messenger', 'any_channel',
                                       'line', 'wechat', 'telegram', 'viber', 'kakaotalk',
                                       'apple_business_chat', 'google_business_chat', 'google_rcs')
           OR lower(t.via_channel) LIKE 'whatsapp%' THEN 'messenger'
         ELSE 'web'
       END AS channel,
       CASE lower(t.priority)
         WHEN 'low' THEN 'low'
         WHEN 'high' THEN 'high'
         WHEN 'urgent' THEN 'urgent'
         ELSE 'normal'
       END AS priority,
       NULLIF(lower(t.type), '') AS category,
       t.requester_id AS requester_id,
       CASE
         WHEN t.submitter_id IS DISTINCT FROM t.requester_id AND sub.role IN ('agent', 'admin') THEN 'agent'
         ELSE 'customer'
       END AS created_by,
       CASE
         WHEN t._fivetran_deleted THEN 'deleted'
         WHEN lower(t.status) IN ('hold', 'on-hold', 'on_hold') THEN 'on_hold'
         WHEN lower(t.status) IN ('new', 'open', 'pending', 'solved', 'closed', 'deleted') THEN lower(t.status)
         ELSE 'open'
       END AS status,
       t.updated_at AS updated_at
  FROM ticket t
  LEFT JOIN "user" sub ON sub.id = t.submitter_id
