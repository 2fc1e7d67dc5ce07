// testrepository's command templates, substituted exactly as testr and stestr do
// (stestr/test_processor.py): one pass over $IDOPTION, $IDFILE, $IDLIST and $LISTOPT,
// unknown or unused variables becoming the empty string.

const VARIABLES = /\$(IDOPTION|IDFILE|IDLIST|LISTOPT)/g;

function substitute(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(VARIABLES, (_match, name: string) => values[name] ?? '');
}

/** The command that lists the tests: `$LISTOPT` is `test_list_option`, the rest empty. */
export function listShellCommand(template: string, listOption: string | undefined): string {
  return substitute(template, { LISTOPT: listOption ?? '' });
}

/**
 * The command that runs `ids`: `$IDFILE` is a file of the ids one per line, `$IDLIST` the
 * ids joined by spaces, and `$IDOPTION` is `test_id_option` with those two substituted in.
 */
export function runShellCommand(template: string, idOption: string | undefined, idFile: string, ids: readonly string[]): string {
  const values = { IDFILE: idFile, IDLIST: ids.join(' ') };
  return substitute(template, { ...values, IDOPTION: substitute(idOption ?? '', values) });
}
