"""The bot's own Discord sentences (buttons, refusals, moderator reports), in each reply language.

The engine's sentences (unknown, unsure, help…) are in engine/messages.py; these are the
ones only the Discord front end says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine import FALLBACK_LANG

if TYPE_CHECKING:
    from discord.ext import commands

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "cooldown": "Doucement 🙂 Vous pourrez me poser une autre question dans {seconds} s.",
        "not_moderator": "Cette commande est réservée aux modérateurs "
        "(permission « Gérer le serveur » ou rôle de modérateur).",
        "no_dm": "Cette commande ne fonctionne que sur un serveur, pas en message privé.",
        "bad_argument": "Argument manquant ou incorrect : {error}\nUsage : `{usage}`",
        "error": "Désolé, quelque chose s'est mal passé. L'erreur est notée dans les journaux du bot.",
        "helpful": "Utile",
        "wrong": "Réponse fausse",
        "thanks_helpful": "Merci pour votre avis !",
        "thanks_wrong": "Merci : les modérateurs verront que cette réponse semble fausse.",
        "not_asker": "Ces boutons sont pour la personne qui a posé la question. Posez la vôtre avec `/ask` !",
        "fact_gone": "Cette réponse n'existe plus (les faits ont été rechargés). Reposez la question.",
        "topics_title": "Ce que je sais",
        "topics_intro": "Je réponds aux questions sur l'Alliance Renault-Nissan-Mitsubishi d'après un article "
        "de décembre 2019. Mentionnez-moi, écrivez-moi en privé ou utilisez `/ask`. Exemples par sujet :",
        "topics_footer": "Source : {source}",
        # moderators
        "facts_usage": "Sous-commandes : `reload`, `check`, `list [sujet]`, `show <id>`, `stats`, `unanswered`, "
        "`draft <question>`.",
        "reloaded": "✅ Faits rechargés : {facts} faits ({added} ajoutés, {changed} modifiés, {removed} supprimés).",
        "checked": "✅ Vérification réussie, rien n'a été remplacé : {facts} faits "
        "({added} ajoutés, {changed} modifiés, {removed} supprimés par rapport à l'ensemble en service).",
        "reload_refused": "❌ Rechargement refusé : {count} problème(s). Rien n'a été remplacé ; "
        "les membres gardent les réponses actuelles.",
        "check_failed": "❌ {count} problème(s) ; l'ensemble en service ne changerait pas.",
        "problems_more": "… et {more} autre(s) problème(s) : la liste complète est jointe (`{file}`).",
        "problems_unlisted": "… et {more} autre(s) problème(s), non listés : corrigez les {kept} premiers, "
        "puis vérifiez.",
        "load_timeout": "⏱️ Abandonné : la lecture de knowledge/ a pris plus de {seconds} s. Rien n'a été remplacé ; "
        "les membres gardent les réponses actuelles. Cherchez un fichier très gros ou inhabituel "
        "(`python bot.py check` le signale).",
        "load_busy": "⏳ Le rechargement abandonné est encore en train de s'arrêter ; réessayez dans une minute.",
        "removal_warning": "⚠️ Ce rechargement supprimerait {removed} des {before} faits en service (il en resterait "
        "{after}) : les membres perdraient ces réponses. Rien n'est remplacé sans « {button} » (d'ici {minutes} min).",
        "removal_check": "⚠️ Un rechargement supprimerait {removed} des {before} faits en service (il en resterait "
        "{after}) et demanderait une confirmation.",
        "removal_confirm": "Recharger quand même",
        "removal_cancel": "Annuler",
        "removal_cancelled": "Rechargement annulé : rien n'a été remplacé.",
        "removal_expired": "Pas de confirmation : rien n'a été remplacé.",
        "removal_stale": "Les faits en service ont changé depuis cet aperçu : rien n'a été remplacé ; relancez "
        "`/facts reload`.",
        "removal_not_yours": "Seul le modérateur qui a lancé le rechargement peut le confirmer.",
        "added": "Ajoutés",
        "changed": "Modifiés",
        "removed": "Supprimés",
        "eval": "Questions d'évaluation : exactitude {acc_before} → {acc_after}, "
        "abstention {abs_before} → {abs_after}.",
        "no_answer_change": "Aucune question d'évaluation ne change de réponse.",
        "answer_changes": "Questions d'évaluation dont la réponse change ({count}) :",
        "lost": "plus de réponse",
        "moved": "autre fait",
        "edited": "réponse modifiée",
        "gained": "nouvelle réponse",
        "list_header": "{count} fait(s){topic} :",
        "unknown_topic": "Sujet inconnu `{topic}`. Sujets : {topics}",
        "unknown_fact": "Aucun fait `{fact_id}`.{close}",
        "close": " Proches : {ids}",
        "topic": "Sujet",
        "questions": "Questions ({code})",
        "answer": "Réponse ({code})",
        "keywords": "Mots-clés",
        "defined_in": "Défini dans",
        "journal_off": "Le journal est désactivé (JOURNAL_ENABLED=false) : pas de statistiques.",
        "journal_unavailable": "Le journal est illisible pour le moment ; voir les journaux du bot.",
        "not_admin": "Recharger, vérifier et synchroniser les faits est réservé au propriétaire du bot et aux "
        "modérateurs de ses serveurs d'administration (ADMIN_GUILD_IDS) : tous les serveurs les partagent. "
        "Ici : `stats`, `unanswered`, `list` et `show`.",
        "scope_dms": "**Messages privés au bot** (visibles de son propriétaire seul) :",
        "unwritten": "⚠️ {count} question(s) ou avis n'ont pas pu être notés depuis le démarrage du bot "
        "(journal verrouillé ou en panne ; voir les journaux du bot).",
        "stats": "**Questions** : {questions} ({askers} membres), répondues : {answered} ({rate}), "
        "incertaines : {unsure}, hors sujet : {unknown} ; bavardage : {smalltalk}.\n"
        "**Avis** : 👍 {helpful} · 👎 {wrong}",
        "top_facts": "**Faits les plus demandés** :",
        "disputed": "**Faits signalés comme faux** :",
        "unanswered_none": "Aucune question sans réponse ces {days} derniers jours.",
        "unanswered_header": "Questions sans réponse ces {days} derniers jours, regroupées ({groups} groupes) :",
        "synced": "{count} commande(s) slash synchronisée(s) {where}.",
        "sync_global": "pour tous les serveurs (jusqu'à une heure pour apparaître)",
        "sync_guild": "pour ce serveur",
    },
    "en": {
        "cooldown": "Easy there 🙂 You can ask me another question in {seconds}s.",
        "not_moderator": "This command is for moderators only (Manage Server permission or a moderator role).",
        "no_dm": "This command only works in a server, not in direct messages.",
        "bad_argument": "Missing or wrong argument: {error}\nUsage: `{usage}`",
        "error": "Sorry, something went wrong. The error is in the bot's logs.",
        "helpful": "Helpful",
        "wrong": "Wrong answer",
        "thanks_helpful": "Thanks for the feedback!",
        "thanks_wrong": "Thanks: the moderators will see that this answer looks wrong.",
        "not_asker": "These buttons are for the person who asked. Ask your own with `/ask`!",
        "fact_gone": "That answer no longer exists (the facts were reloaded). Please ask again.",
        "topics_title": "What I know",
        "topics_intro": "I answer questions about the Renault-Nissan-Mitsubishi Alliance from a December 2019 "
        "article. Mention me, send me a direct message or use `/ask`. Examples by topic:",
        "topics_footer": "Source: {source}",
        "facts_usage": "Subcommands: `reload`, `check`, `list [topic]`, `show <id>`, `stats`, `unanswered`, "
        "`draft <question>`.",
        "reloaded": "✅ Facts reloaded: {facts} facts ({added} added, {changed} changed, {removed} removed).",
        "checked": "✅ Check passed, nothing was swapped: {facts} facts "
        "({added} added, {changed} changed, {removed} removed compared with the set serving now).",
        "reload_refused": "❌ Reload refused: {count} problem(s). Nothing was swapped; "
        "members keep the current answers.",
        "check_failed": "❌ {count} problem(s); the set serving now would stay.",
        "problems_more": "… and {more} more problem(s): the full list is attached (`{file}`).",
        "problems_unlisted": "… and {more} more problem(s), not listed: fix the first {kept}, then check again.",
        "load_timeout": "⏱️ Abandoned: reading knowledge/ took longer than {seconds} s. Nothing was swapped; "
        "members keep the current answers. Look for a very large or unusual file (`python bot.py check` names it).",
        "load_busy": "⏳ The abandoned reload is still stopping; try again in a minute.",
        "removal_warning": "⚠️ This reload would remove {removed} of the {before} facts serving now ({after} left): "
        "members would lose those answers. Nothing is swapped unless you press “{button}” (within {minutes} min).",
        "removal_check": "⚠️ A reload would remove {removed} of the {before} facts serving now ({after} left) and "
        "would ask for a confirmation.",
        "removal_confirm": "Reload anyway",
        "removal_cancel": "Cancel",
        "removal_cancelled": "Reload cancelled: nothing was swapped.",
        "removal_expired": "Not confirmed: nothing was swapped.",
        "removal_stale": "The facts serving changed since this preview: nothing was swapped; "
        "run `/facts reload` again.",
        "removal_not_yours": "Only the moderator who ran the reload can confirm it.",
        "added": "Added",
        "changed": "Changed",
        "removed": "Removed",
        "eval": "Evaluation questions: accuracy {acc_before} → {acc_after}, abstention {abs_before} → {abs_after}.",
        "no_answer_change": "No evaluation question changes its answer.",
        "answer_changes": "Evaluation questions whose answer changes ({count}):",
        "lost": "no longer answered",
        "moved": "another fact",
        "edited": "answer reworded",
        "gained": "newly answered",
        "list_header": "{count} fact(s){topic}:",
        "unknown_topic": "Unknown topic `{topic}`. Topics: {topics}",
        "unknown_fact": "No fact `{fact_id}`.{close}",
        "close": " Close: {ids}",
        "topic": "Topic",
        "questions": "Questions ({code})",
        "answer": "Answer ({code})",
        "keywords": "Keywords",
        "defined_in": "Defined in",
        "journal_off": "The journal is disabled (JOURNAL_ENABLED=false): no statistics.",
        "journal_unavailable": "The journal cannot be read right now; see the bot's logs.",
        "not_admin": "Reloading, checking and syncing the facts is for the bot's owner and the moderators of its "
        "admin servers (ADMIN_GUILD_IDS): every server shares them. Here: `stats`, `unanswered`, `list` and `show`.",
        "scope_dms": "**Direct messages to the bot** (only its owner sees them):",
        "unwritten": "⚠️ {count} question(s) or vote(s) could not be journaled since the bot started "
        "(the journal was locked or failing; see the bot's logs).",
        "stats": "**Questions**: {questions} ({askers} members), answered: {answered} ({rate}), "
        "unsure: {unsure}, not covered: {unknown}; smalltalk: {smalltalk}.\n"
        "**Feedback**: 👍 {helpful} · 👎 {wrong}",
        "top_facts": "**Most asked facts**:",
        "disputed": "**Facts reported wrong**:",
        "unanswered_none": "No unanswered question in the last {days} days.",
        "unanswered_header": "Unanswered questions in the last {days} days, alike ones grouped ({groups} groups):",
        "synced": "{count} slash command(s) synced {where}.",
        "sync_global": "globally (may take up to an hour to show)",
        "sync_guild": "to this server",
    },
}


def sentence(table: Mapping[str, Mapping[str, str]], lang: str, key: str, /, **values: Any) -> str:
    """One sentence of a table of sentences by language (French, like the engine's, for a language it lacks)."""
    return table.get(lang, table[FALLBACK_LANG])[key].format(**values)


def text(lang: str, key: str, /, **values: Any) -> str:
    """One sentence of this module's table in `lang`."""
    return sentence(STRINGS, lang, key, **values)


def lang_for(ctx: commands.Context[Any]) -> str:
    """A command's reply language: the member's client locale for a slash command, the server's otherwise."""
    locale = ctx.interaction.locale if ctx.interaction else getattr(ctx.guild, "preferred_locale", None)
    return lang_of(locale)


def lang_of(locale: object | None, default: str = FALLBACK_LANG) -> str:
    """The reply language for a Discord locale ("fr", "en-US"…): French or English."""
    if locale is None:
        return default
    value = str(getattr(locale, "value", locale)).lower()
    return "fr" if value.startswith("fr") else "en"
