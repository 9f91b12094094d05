// Entry of the Streamlit component frame: the only code that imports streamlit-component-lib.
import { Streamlit } from 'streamlit-component-lib'

Streamlit.setComponentReady()
