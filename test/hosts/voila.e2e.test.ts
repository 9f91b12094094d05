// The delivery contract in Voilà (test/hosts/suite.ts), oldest and newest pinned sets. Each
// page load starts a new kernel: the contract is once per browser tab, across reloads (the
// tab's sessionStorage ledger carries it).
import { hostSuite } from './suite'

hostSuite('voila')
