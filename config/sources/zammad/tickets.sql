-- support_tickets from Zammad (PostgreSQL).
-- The status maps the state's type (new, open, pending reminder, pending
-- action, closed, merged, removed), so renamed or added states keep their
-- meaning. Zammad's closed is a solve (a customer's follow-up reopens it);
-- merged and removed tickets count as deleted. The priority maps
-- the default names (1 low, 2 normal, 3 high) and any name containing low,
-- high or urgent. The channel is the first article's type, the category
-- the ticket's first tag. A ticket is agent-initiated when an agent wrote
-- its first article (outbound email, logged call). Timestamps are Rails'
-- UTC `timestamp(3)` columns, read as UTC.
SELECT t.id AS id,
       t.created_at AS created_at,
       CASE
         WHEN at.name IN ('email', 'fax') THEN 'email'
         WHEN at.name = 'phone' THEN 'phone'
         WHEN at.name = 'chat' THEN 'chat'
         WHEN at.name = 'sms' THEN 'sms'
         WHEN at.name LIKE 'twitter%' OR at.name LIKE 'facebook%' OR at.name LIKE 'instagram%' THEN 'social'
         WHEN at.name LIKE 'telegram%' OR at.name LIKE 'whatsapp%' THEN 'messenger'
         ELSE 'web'
       END AS channel,
       CASE
         WHEN lower(p.name) LIKE '%urgent%' THEN 'urgent'
         WHEN lower(p.name) LIKE '%high%' THEN 'high'
         WHEN lower(p.name) LIKE '%low%' THEN 'low'
         ELSE 'normal'
       END AS priority,
       (SELECT ti.name
          FROM tags tg
          JOIN tag_items ti ON ti.id = tg.tag_item_id
          JOIN tag_objects tob ON tob.id = tg.tag_object_id AND tob.name = 'Ticket'
         WHERE tg.o_id = t.id
         ORDER BY tg.id
         LIMIT 1) AS category,
       t.customer_id AS requester_id,
       CASE WHEN snd.name = 'Agent' THEN 'agent' ELSE 'customer' END AS created_by,
       CASE st.name
         WHEN 'new' THEN 'new'
         WHEN 'closed' THEN 'solved'
         WHEN 'merged' THEN 'deleted'
         WHEN 'removed' THEN 'deleted'
         WHEN 'pending reminder' THEN 'pending'
         WHEN 'pending action' THEN 'pending'
         ELSE 'open'
       END AS status,
       t.updated_at AS updated_at
  FROM tickets t
  JOIN ticket_states s ON s.id = t.state_id
  JOIN ticket_state_types st ON st.id = s.state_type_id
  JOIN ticket_priorities p ON p.id = t.priority_id
  LEFT JOIN ticket_article_types at ON at.id = t.create_article_type_id
  LEFT JOIN ticket_article_senders snd ON snd.id = t.create_article_sender_id
