/*
 * diemcau_clientid: a Mosquitto 2.0 plugin (interface 5) that ties a client id to the login that owns it.
 *
 * Why (issue 10): Mosquitto closes a connected client when another CONNECT names the same client id, and lets any
 * login that passes the password file name any id. So the claim credential that every factory image carries,
 * another box's credential or the service's could drop a box by connecting with its box id, again and again.
 * Mosquitto's own settings do not close this here: `use_username_as_clientid` would give every claiming box the
 * id `claim` (the claim user's client id is its serial, and the ACL's %c relies on it), and the dynamic security
 * plugin binds an id only for the users it is set on, so an unbound user may still take any id.
 *
 * The rule: every username in the password file owns the client id equal to it and every id that starts with
 * `<username>-` (a box's `<box id>-check` login at claim, the service's `diemcau-provision-serve-<pid>`); where
 * several usernames fit, the longest owns the id. A CONNECT whose id another username owns is refused (CONNACK
 * 0x87, Not authorized) before the broker looks the id up, so the connected owner is never touched. Every other
 * login, and every id nobody owns (a serial while claiming), is left to the password file.
 *
 * mosquitto.conf (rendered by `diemcau-provision broker-conf`; built by `diemcau-provision broker-plugin`):
 *   plugin /path/diemcau_clientid.so
 *   plugin_opt_password_file /path/passwd        (the same file as password_file)
 * The usernames are read at start and again on reload (SIGHUP, after `diemcau-provision import` added boxes).
 * Its check runs before the password file's: the broker registers plugin callbacks before its own.
 *
 * A listener with `use_identity_as_username` skips the password check, and this plugin with it: there
 * `use_username_as_clientid true` makes the id the certificate's CN.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

struct users {
	char **names; /* sorted, for bsearch */
	size_t count;
};

static mosquitto_plugin_id_t *plugin_id;
static char *password_file;
static struct users users;

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void users_free(struct users *u)
{
	for(size_t i = 0; i < u->count; i++) free(u->names[i]);
	free(u->names);
	u->names = NULL;
	u->count = 0;
}

/* The usernames of a Mosquitto password file (`username:hash` lines, `#` comments). 0, or an errno value. */
static int users_read(const char *path, struct users *out)
{
	struct users u = {NULL, 0};
	size_t room = 0, cap = 0;
	char *line = NULL;
	int err = 0;
	FILE *f = fopen(path, "r");
	if(!f) return errno;
	while(getline(&line, &cap, f) != -1){
		char *s = line;
		while(isspace((unsigned char)*s)) s++;
		size_t n = strcspn(s, ":");
		while(n > 0 && isspace((unsigned char)s[n-1])) n--;
		if(n == 0 || *s == '#') continue;
		if(u.count == room){
			char **grown = realloc(u.names, (room ? room*2 : 256) * sizeof(char *));
			if(!grown){ err = ENOMEM; break; }
			u.names = grown;
			room = room ? room*2 : 256;
		}
		if(!(u.names[u.count] = strndup(s, n))){ err = ENOMEM; break; }
		u.count++;
	}
	if(!err && ferror(f)) err = EIO;
	free(line);
	fclose(f);
	if(err){
		users_free(&u);
		return err;
	}
	qsort(u.names, u.count, sizeof(char *), by_name);
	*out = u;
	return 0;
}

/* The username that owns `id` (changed in place): `id` itself, else its longest prefix before a '-'. */
static const char *owner_of(char *id)
{
	for(;;){
		const char *key = id;
		char **hit = bsearch(&key, users.names, users.count, sizeof(char *), by_name);
		if(hit) return *hit;
		char *dash = strrchr(id, '-');
		if(!dash) return NULL;
		*dash = '\0';
	}
}

static int on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *ed = event_data;
	const char *id = mosquitto_client_id(ed->client);
	(void)event;
	(void)userdata;
	if(!id) return MOSQ_ERR_PLUGIN_DEFER;
	char *work = strdup(id);
	if(!work) return MOSQ_ERR_NOMEM; /* refuses the login: fail closed */
	const char *owner = owner_of(work);
	int rc = MOSQ_ERR_PLUGIN_DEFER;
	if(owner && (!ed->username || strcmp(owner, ed->username) != 0)){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "diemcau_clientid: refused login %s with client id %s: the id belongs to %s",
				ed->username ? ed->username : "(anonymous)", id, owner);
		rc = MOSQ_ERR_AUTH;
	}
	free(work);
	return rc;
}

static int on_reload(int event, void *event_data, void *userdata)
{
	struct users fresh;
	(void)event;
	(void)event_data;
	(void)userdata;
	int err = users_read(password_file, &fresh);
	if(err){
		/* The old list still protects every box it had; only boxes added since are not yet bound. */
		mosquitto_log_printf(MOSQ_LOG_ERR, "diemcau_clientid: cannot re-read %s (%s): keeping the %zu usernames read before",
				password_file, strerror(err), users.count);
	}else{
		users_free(&users);
		users = fresh;
		mosquitto_log_printf(MOSQ_LOG_INFO, "diemcau_clientid: %zu usernames own their client ids (%s)", users.count, password_file);
	}
	return MOSQ_ERR_PLUGIN_DEFER; /* let other plugins reload too */
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for(int i = 0; i < supported_version_count; i++){
		if(supported_versions[i] == 5) return 5;
	}
	return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata, struct mosquitto_opt *opts, int opt_count)
{
	const char *path = NULL;
	(void)userdata;
	for(int i = 0; i < opt_count; i++){
		if(!strcmp(opts[i].key, "password_file")) path = opts[i].value;
	}
	if(!path){
		mosquitto_log_printf(MOSQ_LOG_ERR, "diemcau_clientid: plugin_opt_password_file is not set (give it the password_file path)");
		return MOSQ_ERR_INVAL;
	}
	if(!(password_file = strdup(path))) return MOSQ_ERR_NOMEM;
	int err = users_read(password_file, &users);
	if(err){
		mosquitto_log_printf(MOSQ_LOG_ERR, "diemcau_clientid: cannot read plugin_opt_password_file %s: %s", password_file, strerror(err));
		return MOSQ_ERR_INVAL;
	}
	plugin_id = identifier;
	int rc = mosquitto_callback_register(identifier, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, NULL);
	if(rc == MOSQ_ERR_SUCCESS) rc = mosquitto_callback_register(identifier, MOSQ_EVT_RELOAD, on_reload, NULL, NULL);
	if(rc == MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_INFO, "diemcau_clientid: %zu usernames own their client ids (%s)", users.count, password_file);
	}
	return rc;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *opts, int opt_count)
{
	(void)userdata;
	(void)opts;
	(void)opt_count;
	if(plugin_id){
		mosquitto_callback_unregister(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
		mosquitto_callback_unregister(plugin_id, MOSQ_EVT_RELOAD, on_reload, NULL);
	}
	users_free(&users);
	free(password_file);
	password_file = NULL;
	return MOSQ_ERR_SUCCESS;
}
