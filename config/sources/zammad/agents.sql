-- Zammad's agents as support_agents (DESIGN.md §2), PostgreSQL (`users`,
-- `roles_users`, `permissions_roles`, `groups_users`, `roles_groups` of
-- db/migrate/20120101000001_create_base.rb).
--
-- Agents: users with an active role granting the active `ticket.agent`
-- permission (the seeds' Agent role, or any custom role that can work
-- tickets); user 1 is Zammad's system user.
-- agent_id: users.id, as the events name owners. team: a group (as the
-- events name teams) where the agent has full access, directly or through
-- an active role: active groups first, the default group "Users" (id 1)
-- last, direct grants before a role's, then the lowest id. An agent with no
-- such group is rejected as null_team: it is a gap in the helpdesk's own
-- setup, counted and logged rather than hidden.
-- started_on: the account's creation. left_on: Zammad keeps no leaving date;
-- a deactivated account (active = false) is taken to have left on its last
-- change (updated_at), an approximation: editing it later moves it.
SELECT CAST(u.id AS text) AS agent_id,
       (SELECT c.name
          FROM (SELECT g.id, g.name, g.active, 0 AS via
                  FROM groups_users gu
                  JOIN groups g ON g.id = gu.group_id
                 WHERE gu.user_id = u.id AND gu.access = 'full'
                UNION ALL
                SELECT g.id, g.name, g.active, 1
                  FROM roles_users ru
                  JOIN roles r ON r.id = ru.role_id AND r.active
                  JOIN roles_groups rg ON rg.role_id = ru.role_id AND rg.access = 'full'
                  JOIN groups g ON g.id = rg.group_id
                 WHERE ru.user_id = u.id) c
         ORDER BY c.active DESC, c.id = 1, c.via, c.id
         LIMIT 1) AS team,
       CAST(u.created_at AS date) AS started_on,
       CASE WHEN NOT u.active THEN CAST(u.updated_at AS date) END AS left_on
  FROM users u
 WHERE u.id <> 1
   AND EXISTS (SELECT 1
                 FROM roles_users ru
                 JOIN roles r ON r.id = ru.role_id AND r.active
                 JOIN permissions_roles pr ON pr.role_id = r.id
                 JOIN permissions p ON p.id = pr.permission_id
                                   AND p.name = 'ticket.agent' AND p.active
                WHERE ru.user_id = u.id)
