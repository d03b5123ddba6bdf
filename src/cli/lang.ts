// Which language reports and console lines are written in: `--lang`, else `lang:` in the
// configuration file, else the locale (LC_ALL, LC_MESSAGES, LANG — the POSIX order: the first one
// set wins), else English. Only the language part counts: zh_CN.UTF-8, zh_TW, zh → zh.
import { InvalidArgumentError, Option } from 'commander';
import { LANGS, type Lang } from '../model.js';

export function parseLang(value: string): Lang {
  const found = LANGS.find((l) => l === value.toLowerCase());
  if (!found) throw new InvalidArgumentError(`expected one of ${LANGS.join(', ')}`);
  return found;
}

/** The language a locale names (`zh_CN.UTF-8` → zh), or undefined for other languages, C and POSIX. */
export function langOfLocale(locale: string | undefined): Lang | undefined {
  if (locale === undefined || locale === '') return undefined;
  const language = /^([A-Za-z]{2,3})(?:[_.@-]|$)/.exec(locale)?.[1]?.toLowerCase();
  return LANGS.find((l) => l === language);
}

/** The locale's language by POSIX precedence; English when it is not one we write. */
export function langFromEnv(env: NodeJS.ProcessEnv = process.env): Lang {
  const locale = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== '');
  return langOfLocale(locale) ?? 'en';
}

/**
 * `--lang` given on the command line wins; then the configuration file's `lang:`; then the
 * locale. The configuration file sets an option of the running command when the command line
 * did not (its loader fills the option whose attribute is `lang`), so `flag` already carries a
 * configured value; `configured` is for callers that read the file themselves.
 */
export function resolveLang(flag: Lang | undefined, configured?: Lang | undefined, env: NodeJS.ProcessEnv = process.env): Lang {
  return flag ?? configured ?? langFromEnv(env);
}

export function langOption(): Option {
  return new Option('--lang <lang>', 'language of reports and console lines: en or zh (default: lang: in the configuration, else LC_ALL/LC_MESSAGES/LANG, else en)').argParser(parseLang);
}
