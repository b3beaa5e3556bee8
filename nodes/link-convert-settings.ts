/** Properties of the tbk-link-convert node: reading, `${ENV}` expansion, defaults, checks. */
import { DG_LINK_CONVERT, SC_LINK_CONVERT, type LinkConvertMethod, type ReplaceWith } from '../lib/links/convert';
import { expandEnv } from './config-settings';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { errorModeOf, type ErrorMode } from './failure';

/**
 * The properties the editor saves on a tbk-link-convert node (tbk-link-convert.html `defaults`); a
 * checkbox may come as 'true' / 'false' (hand-written flows), and the ids may hold `${VAR}` references.
 */
export interface LinkConvertProperties {
  version?: number;
  config?: string;
  adzoneId?: string;
  provider?: boolean | string;
  siteId?: string;
  replaceWith?: string;
  preferCoupon?: boolean | string;
  relationId?: string;
  specialId?: string;
  errorMode?: string;
}

export interface LinkConvertDef extends NodeDef, LinkConvertProperties {}

export interface LinkConvertSettings {
  method: LinkConvertMethod;
  /** digits, '' when missing */
  adzoneId: string;
  /** as typed, when it is not an ad zone id (the error names it) */
  badAdzoneId?: string;
  /** a property that refers to an environment variable that is not set (no fallback: the node refuses to call) */
  unsetVariable?: { param: string; name: string };
  siteId: string;
  badSiteId?: string;
  relationId: string;
  specialId: string;
  replaceWith: ReplaceWith;
  preferCoupon: boolean;
  errorMode: ErrorMode;
}

const DIGITS = /^\d{1,20}$/;
/** A full PID, mm_<member>_<site>_<adzone>: its parts are the member, site and ad zone ids. */
const PID = /^mm_(\d+)_(\d+)_(\d+)$/i;

function bool(value: unknown, fallback: boolean): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return fallback;
}

/** The node's properties, `${ENV}` expanded and checked. A full PID gives its ad zone (and site) id. */
export function readLinkConvertSettings(RED: NodeAPI, node: Node, def: LinkConvertProperties): LinkConvertSettings {
  let unsetVariable: LinkConvertSettings['unsetVariable'];
  const str = (key: keyof LinkConvertProperties): string => {
    try {
      return expandEnv(RED, node, def[key], key).trim();
    } catch (err) {
      const name = (err as { messageArgs?: { name?: unknown } }).messageArgs?.name;
      if (typeof name !== 'string') throw err;
      unsetVariable ??= { param: key, name };
      return '';
    }
  };
  const provider = bool(def.provider, false);
  const adzoneText = str('adzoneId');
  const pid = PID.exec(adzoneText);
  const adzoneId = pid ? pid[3]! : adzoneText;
  const siteText = str('siteId') || (pid ? pid[2]! : '');
  return {
    method: provider ? SC_LINK_CONVERT : DG_LINK_CONVERT,
    adzoneId: DIGITS.test(adzoneId) ? adzoneId : '',
    ...(adzoneId !== '' && !DIGITS.test(adzoneId) ? { badAdzoneId: adzoneText } : {}),
    siteId: DIGITS.test(siteText) ? siteText : '',
    ...(siteText !== '' && !DIGITS.test(siteText) ? { badSiteId: siteText } : {}),
    relationId: str('relationId'),
    specialId: str('specialId'),
    replaceWith: def.replaceWith === 'url' ? 'url' : 'tpwd',
    preferCoupon: bool(def.preferCoupon, true),
    errorMode: errorModeOf(def.errorMode),
    ...(unsetVariable ? { unsetVariable } : {}),
  };
}

export interface SettingsProblem {
  param: string;
  key: string;
  message: string;
  args?: Record<string, string>;
}

/** What keeps the node from calling, before any message: a missing or malformed id. */
export function settingsProblem(settings: LinkConvertSettings): SettingsProblem | undefined {
  const unset = settings.unsetVariable;
  if (unset)
    return {
      param: unset.param,
      key: 'envNotSet',
      message: `${unset.name} is not set (${unset.param} refers to \${${unset.name}})`,
      args: { name: unset.name, param: unset.param },
    };
  if (settings.badAdzoneId !== undefined) {
    return {
      param: 'adzoneId',
      key: 'badAdzoneId',
      message: `adzoneId must be an ad zone id (digits, the third part of the PID mm_x_y_z), not "${settings.badAdzoneId}"`,
      args: { value: settings.badAdzoneId },
    };
  }
  if (!settings.adzoneId)
    return {
      param: 'adzoneId',
      key: 'noAdzoneId',
      message: 'adzoneId is required: the ad zone id (the third part of the PID mm_x_y_z)',
    };
  if (settings.method === SC_LINK_CONVERT) {
    if (settings.badSiteId !== undefined)
      return {
        param: 'siteId',
        key: 'badSiteId',
        message: `siteId must be a site id (digits, the second part of the PID mm_x_y_z), not "${settings.badSiteId}"`,
        args: { value: settings.badSiteId },
      };
    if (!settings.siteId)
      return {
        param: 'siteId',
        key: 'noSiteId',
        message: 'siteId is required with 服务商 (provider): the site id (the second part of the PID mm_x_y_z)',
      };
  }
  return undefined;
}
