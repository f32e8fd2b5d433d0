-- Zendesk's agents as support_agents (DESIGN.md §2), as Fivetran's
-- connector lands them in PostgreSQL (`user`, `group_member`, `group`).
--
-- Staff: users who are agents or admins now, or who belong or belonged to a
-- group (Fivetran keeps a removed membership, flagged _fivetran_deleted):
-- Zendesk's way to offboard an agent is to downgrade them to end user, and
-- that user is a leaver, not a stranger.
-- agent_id: user.id, as the events name assignees. team: a group, named as
-- the events name groups (its name, else its id): the earliest membership
-- still held, else the earliest one removed; `unassigned` without any (an
-- admin outside the groups). started_on: the account's creation. left_on:
-- Zendesk keeps no leaving date; a user no longer agent or admin,
-- suspended, inactive or deleted is taken to have left on their last change
-- (updated_at), an approximation: a later edit of the profile moves it.
-- Times are UTC, as the other relations read them.
SELECT CAST(u.id AS text) AS agent_id,
       COALESCE(g.name, CAST(m.group_id AS text), 'unassigned') AS team,
       CAST(u.created_at AS date) AS started_on,
       CASE
         WHEN u._fivetran_deleted IS TRUE OR u.active IS FALSE OR u.suspended IS TRUE
           OR u.role IS NULL OR u.role NOT IN ('agent', 'admin')
         THEN CAST(u.updated_at AS date)
       END AS left_on
  FROM "user" u
  LEFT JOIN (SELECT DISTINCT ON (user_id) user_id, group_id
               FROM group_member
              ORDER BY user_id, _fivetran_deleted IS TRUE, id) m ON m.user_id = u.id
  LEFT JOIN "group" g ON g.id = m.group_id
 WHERE u.role IN ('agent', 'admin')
    OR m.user_id IS NOT NULL
